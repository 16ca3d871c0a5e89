/** The body of `stack` as a function: the only place that prints errors and sets the exit code. */
import { StackError } from '../errors.js';
import { asksJsonProgress, errorLine, jsonProgressOutput } from './json-progress.js';
import { processOutput } from './output.js';
import { commandAfterService, runCli } from './program.js';
import { explainSystemError } from './system-errors.js';
import { traceMark } from '../trace.js';
import { dismissUntakenStandby, spawnStandbyFor } from './early-standby.js';
import { allowUserNamespaceRerun } from '../runtime/embedded/rootless/rerun-permission.js';
import { enterUserNamespaceEarly } from './early-userns.js';
import { ownShortFlags } from './argv-facts.js';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import { writeStd } from './std-write.js';

/**
 * Runs `stack` with `argv` (the words after the script) and sets process.exitCode. A function, not
 * top-level code, so the CommonJS bundle (no top-level await there) can call it too.
 */
export async function runMain(given: string[]): Promise<void> {
  traceMark('cli-start');
  endQuietlyOnClosedPipe(); // `stack logs -f | head`: ends quietly when the reader leaves
  const argv = ownShortFlags(given); // `logs -f api`: the command's -f, not the common one (argv-facts.ts)
  allowUserNamespaceRerun(); // a user without root: embedded commands run again inside the user's namespaces (issue 17)
  // `--progress json`: stderr carries JSON lines only, the final error among them.
  const json = asksJsonProgress(commandAfterService(argv)); // not an option of `run`'s command
  const output = json ? jsonProgressOutput(processOutput(), (text) => writeStd(2, text)) : processOutput();
  try {
    // A user without root: an embedded command runs again inside its namespaces, before anything
    // loads; inside the try, so a state folder it cannot make is one plain line like every error.
    await enterUserNamespaceEarly(argv);
    spawnStandbyFor(argv); // `up`: a supervisor loads beside the CLI (early-standby.ts)
    process.exitCode = await runCli(argv, output);
  } catch (caught) {
    const err = explainSystemError(caught) ?? caught;
    if (json) {
      const line = err instanceof StackError ? err : { code: 'E_UNEXPECTED', message: `a bug in hafen, please report it: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, exitCode: 70 };
      writeStd(2, `${JSON.stringify(errorLine(line))}\n`);
      process.exitCode = line.exitCode;
    } else if (err instanceof StackError) {
      // An expected failure: its message is the whole story.
      output.err(`${output.color.red('error:')} ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      output.err(`${output.color.red('unexpected error (a bug in hafen, please report it):')}`);
      output.err(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 70;
    }
  } finally {
    await dismissUntakenStandby();
  }
}
