/**
 * What the bare arguments of `stack` say before the program is built: read by the CLI's first lines
 * (early-standby.ts, early-userns.ts), so its own module, with no imports, costs them nothing.
 */
/** Common options that take a value as the next word (global-options.ts). */
const TAKES_VALUE = new Set(['-f', '--file', '-p', '--project-name', '--project-directory', '--env-file', '--profile', '--runtime', '--progress']);

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
export function argvFacts(argv: readonly string[]): ArgvFacts {
  const facts: ArgvFacts = { command: undefined, project: undefined, runtime: undefined, file: undefined, projectDirectory: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '-h' || flag === '--help') facts.help = true;
    if (TAKES_VALUE.has(flag)) {
      const value = inline ?? argv[++i];
      if (flag === '-p' || flag === '--project-name') facts.project = value;
      if (flag === '--runtime') facts.runtime = value;
      if ((flag === '-f' || flag === '--file') && facts.file === undefined) facts.file = value;
      if (flag === '--project-directory') facts.projectDirectory = value;
    } else if (!a.startsWith('-') && facts.command === undefined) facts.command = a;
  }
  return facts;
}
