/**
 * What the bare arguments of `stack` say before the program is built: read by the CLI's first lines
 * (early-standby.ts, early-userns.ts), so its own module, with no imports, costs them nothing.
 */
/** Common options that take a value as the next word (global-options.ts). */
const TAKES_VALUE = new Set(['-f', '--file', '-p', '--project-name', '--project-directory', '--env-file', '--profile', '--runtime', '--progress',
  // issue 19
  '--host']);

/** What the bare arguments say: the command, the project, runtime, first file and project folder named, if any. */
export interface ArgvFacts {
  command: string | undefined;
  project: string | undefined;
  runtime: string | undefined;
  file: string | undefined;
  projectDirectory: string | undefined;
  help: boolean;
}

/** Reads the command (the first word that is no option or option value) and -p / --runtime before it and after. */
export function argvFacts(given: readonly string[]): ArgvFacts {
  const argv = ownShortFlags(given);
  const facts: ArgvFacts = { command: undefined, project: undefined, runtime: undefined, file: undefined, projectDirectory: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '-h' || flag === '--help') facts.help = true;
    const oneOff = facts.command === 'run' || facts.command === 'exec';
    if (oneOff && !TAKES_VALUE.has(flag) && RUN_TAKES_VALUE.has(flag)) {
      if (inline === undefined) i++; // `run -v ./a:/a`: a value of run's own
    } else if (TAKES_VALUE.has(flag)) {
      const value = inline ?? argv[++i];
      if (flag === '-p' || flag === '--project-name') facts.project = value;
      if (flag === '--runtime') facts.runtime = value;
      if ((flag === '-f' || flag === '--file') && facts.file === undefined) facts.file = value;
      if (flag === '--project-directory') facts.projectDirectory = value;
    } else if (!a.startsWith('-') && facts.command === undefined) facts.command = a;
    else if (!a.startsWith('-') && oneOff) break; // the service of run/exec: the rest is the container's command
  }
  return facts;
}

/**
 * Short flags of a command that are also common options (`-f` file, `-p` project): after the
 * command's name they are the command's own, as in Compose (cobra), so `stack logs -f api` follows
 * and `stack run -p 8080:80 job` publishes; before it they stay the common ones. Each maps to the
 * command's long name, and whether it takes a value. A unit test holds this table to the commands'
 * declarations (argv-facts.test.ts), so a new colliding flag cannot be forgotten.
 */
export const OWN_SHORT_FLAGS: Readonly<Record<string, Readonly<Record<string, { long: string; value: boolean }>>>> = {
  logs: { '-f': { long: '--follow', value: false } },
  rm: { '-f': { long: '--force', value: false } },
  run: { '-p': { long: '--publish', value: true } },
};

/** Options of `run` and `exec` (and the common ones) that take a value: the next word is no service. */
export const RUN_TAKES_VALUE: ReadonlySet<string> = new Set([
  '-e', '--env', '-u', '--user', '-w', '--workdir', '--index', '-f', '--file', '-p', '--project-name', '--profile', '--runtime', '--progress',
  // Compose's `run` flags (cli-gaps).
  '--publish', '--name', '--entrypoint', '-v', '--volume', '-l', '--label', '--cap-add', '--cap-drop', '--pull', '--env-file', '--project-directory',
  // issue 19
  '--host',
]);

/**
 * argv with the command's own short flags (OWN_SHORT_FLAGS) after its name written long, so the
 * parser, which reads the common options anywhere, and the early readers take them for the
 * command's: `logs -f api` → `logs --follow api`, `rm -fsv` → `rm --force -sv`, `run -p8080:80 job`
 * → `run --publish 8080:80 job`. For `run` and `exec` only the words before the service are
 * options (the rest is the command); `--` ends the options of every command.
 */
export function ownShortFlags(argv: readonly string[]): string[] {
  let at = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...argv];
    if (!a.startsWith('-')) {
      at = i;
      break;
    }
    if (TAKES_VALUE.has(a)) i++;
  }
  const own = at < 0 ? undefined : OWN_SHORT_FLAGS[argv[at]!];
  if (!own) return [...argv];
  const oneOff = argv[at] === 'run' || argv[at] === 'exec';
  const out = argv.slice(0, at + 1);
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || (oneOff && !a.startsWith('-'))) return [...out, ...argv.slice(i)];
    const flag = /^-[^-]/.test(a) ? own[a.slice(0, 2)] : undefined;
    if (!flag) {
      out.push(a);
      if (oneOff && RUN_TAKES_VALUE.has(a) && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    const rest = a.slice(2);
    if (flag.value) {
      const v = rest !== '' ? rest : argv[++i];
      out.push(flag.long, ...(v !== undefined ? [v] : [])); // `run -p` at the end: the parser says its value is missing
    } else out.push(flag.long, ...(rest !== '' ? [`-${rest}`] : []));
  }
  return out;
}
