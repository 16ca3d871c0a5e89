/**
 * One rootless e2e scenario's folder (issue 17): a temp folder of the test user `hafen-rootless`
 * with its own XDG folders (`data` for XDG_DATA_HOME, so the state root is `data/hafen`; `run` for
 * XDG_RUNTIME_DIR, where the holder's record goes) and a `work` folder for stack files, so test
 * files running as the same user at once never share a holder; the CLI run as that user there; and
 * what the user left. Used by e2e/rootless-network, rootless-commands and rootless-stack.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { findLeaks } from '../src/testing/leaks.js';
import { rootlessCommand, rootlessUser, type RootlessUser } from '../src/testing/rootless-user.js';
import { cliPath, type CliResult } from './cli.js';

/** How one `stack` run is made. */
export interface ScenarioRun {
  /** Default the scenario's `work` folder. */
  cwd?: string;
  /** The argv around the user's command (e.g. a mount namespace of its own); default as it is. */
  wrap?: (argv: string[]) => string[];
  timeoutMs?: number;
  /** Over the scenario's environment. */
  env?: Record<string, string>;
}

/** A rootless scenario's folders and helpers. */
export interface UserScenario {
  user: RootlessUser;
  /** The temp folder (0755, the user's), holding the others. */
  dir: string;
  /** XDG_DATA_HOME. */
  data: string;
  /** The state root: `<data>/hafen`. */
  dataRoot: string;
  /** XDG_RUNTIME_DIR. */
  run: string;
  /** Where stack files go and the CLI runs. */
  work: string;
  /** The CLI's environment over the user's own (XDG folders, HAFEN_SUBNET_POOL, NO_COLOR); tests may add to it. */
  env: Record<string, string>;
  /** `stack ...args` as the user. */
  stack(args: string[], options?: ScenarioRun): CliResult;
  /** `command ...args` as the user, with the CLI's environment. */
  exec(command: string, args: string[], options?: ScenarioRun): CliResult;
  /** Writes `name` in `work`, owned by the user; returns its path. */
  write(name: string, text: string): string;
  /** The user's namespace holder as recorded (pid, user namespace), while it runs. */
  holder(): { pid: number; ns: string | undefined } | undefined;
  /**
   * What is left of the user's: processes, runtime files, state but images, and (`hostWide`) the
   * project's links, mounts and netns on the host (only for a project name no other test uses:
   * the check looks at the whole machine, and the user's own live only in its holder's namespaces).
   */
  leftovers(project: string, ns: string | undefined, hostWide?: boolean): string[];
  /** Kills what a failed test left (by the holder's namespace and the folder's name), then removes the folder. */
  remove(): void;
}

/** The processes of the user that name `dir` in their command line or live in user namespace `ns`. */
export function userProcesses(uid: number, dir: string, ns: string | undefined): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const pid = Number(entry);
    try {
      if (fs.statSync(`/proc/${pid}`).uid !== uid) continue;
      const stat = readProcStat(pid);
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const inNs = ns !== undefined && fs.readlinkSync(`/proc/${pid}/ns/user`) === ns;
      if (inNs || cmd.includes(dir)) out.push(`process ${pid} ${cmd.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Makes the scenario's folders (`prefix`: the temp folder's name start; `pool`: HAFEN_SUBNET_POOL, the test file's own). */
export function userScenario(prefix: string, pool: string): UserScenario {
  const user = rootlessUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const data = path.join(dir, 'data');
  const run = path.join(dir, 'run');
  const work = path.join(dir, 'work');
  const dataRoot = path.join(data, 'hafen');
  for (const d of [data, run, work]) fs.mkdirSync(d, { mode: 0o700 });
  for (const d of [dir, data, run, work]) fs.chownSync(d, user.uid, user.gid);
  fs.chmodSync(dir, 0o755);
  const env: Record<string, string> = { XDG_DATA_HOME: data, XDG_RUNTIME_DIR: run, HAFEN_SUBNET_POOL: pool, NO_COLOR: '1' };
  const holder = (): { pid: number; ns: string | undefined } | undefined => {
    try {
      const pid = (JSON.parse(fs.readFileSync(path.join(run, 'hafen', 'userns.json'), 'utf8')) as { pid: number }).pid;
      return { pid, ns: fs.readlinkSync(`/proc/${pid}/ns/user`) };
    } catch {
      return undefined;
    }
  };
  const exec = (command: string, args: string[], options: ScenarioRun = {}): CliResult => {
    const argv = (options.wrap ?? ((a) => a))(rootlessCommand(command, args));
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...user.env, ...env, ...options.env }, cwd: options.cwd ?? work, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    user,
    dir,
    data,
    dataRoot,
    run,
    work,
    env,
    stack: (args, options = {}) => exec(process.execPath, ['--', cliPath, ...args], options),
    exec,
    write: (name, text) => {
      const file = path.join(work, name);
      fs.writeFileSync(file, text);
      fs.chownSync(file, user.uid, user.gid);
      return file;
    },
    holder,
    leftovers: (project, ns, hostWide = true) => [
      ...userProcesses(user.uid, dir, ns),
      ...(hostWide ? findLeaks(project, { root: dataRoot }) : []),
      ...(fs.existsSync(path.join(run, 'hafen')) ? [`folder ${path.join(run, 'hafen')}: ${(fs.readdirSync(path.join(run, 'hafen'), { recursive: true }) as string[]).join(', ')}`] : []),
      ...(fs.existsSync(dataRoot) ? fs.readdirSync(dataRoot).filter((f) => f !== 'images').map((f) => `state ${f}`) : []),
    ],
    remove: () => {
      for (const line of userProcesses(user.uid, dir, holder()?.ns)) spawnSync('kill', ['-KILL', line.split(' ')[1]!]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
