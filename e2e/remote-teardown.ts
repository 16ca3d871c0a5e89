/**
 * The end of a remote e2e file (issue 19): `down -v` through the ssh lab, nothing of the project left
 * on the "remote" side, in this machine's bookkeeping for that host, or here; then the lab's sshd
 * and the test's folder go, even when `down` fails.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import { forwarderFile, type ForwarderRecord } from '../src/remote/port-forwarder.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { pidAlive } from '../src/testing/pid-alive.js';
import type { SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

/** Takes the project down and checks both sides, then stops the lab and removes `dir`. */
export async function downAndCheckRemote(o: { lab: SshLab | undefined; dir: string | undefined; project: string; remoteRoot: string; localRoot: string; down: () => CliResult }): Promise<void> {
  try {
    if (o.lab) {
      const down = o.down();
      expect(down.code, down.stderr).toBe(0);
      expect(stackLeftovers(o.project, o.remoteRoot)).toEqual([]);
      expect(stackLeftovers(o.project, localRootFor(parseSshTarget(o.lab.url), o.localRoot))).toEqual([]);
      expect(stackLeftovers(o.project, o.localRoot)).toEqual([]);
    }
  } finally {
    await o.lab?.stop();
    if (o.dir) fs.rmSync(o.dir, { recursive: true, force: true });
  }
}

/**
 * The environment of a stack spread over this machine and the lab's "host": both sides use the same
 * subnet pool (`pool`, e.g. `10.222.64.0/18:24`), as two hosts' defaults would, each its own root.
 */
export function twoHostEnv(lab: SshLab, o: { localRoot: string; remoteRoot: string; pool: string }): Record<string, string> {
  return {
    ...lab.env,
    HAFEN_REMOTE_COMMAND: `HAFEN_ROOT=${o.remoteRoot} HAFEN_SUBNET_POOL=${o.pool} ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: o.localRoot,
    HAFEN_SUBNET_POOL: o.pool,
  };
}

/** Runs argv inside a namespaced lab's namespaces; its stdout (throws on failure). */
export function insideLab(lab: SshLab, argv: string[]): string {
  const [c, ...a] = lab.inside(argv);
  const r = spawnSync(c!, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The project's leftovers on the lab's "host", seen from inside its namespaces (e2e/remote-leftovers-main.ts). */
export function leftoversInLab(lab: SshLab, project: string, remoteRoot: string): string[] {
  const register = path.join(repoRoot, 'src/testing/ts-register.mjs');
  return JSON.parse(insideLab(lab, [process.execPath, '--import', register, path.join(repoRoot, 'e2e/remote-leftovers-main.ts'), project, remoteRoot])) as string[];
}

/** The cross-ship forwarders and links of `project` recorded here for a lab host (`hostRoot`: localRootFor that host). */
export function labForwarders(hostRoot: string, project: string): ForwarderRecord[] {
  const d = path.dirname(forwarderFile(hostRoot, project));
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(d, f), 'utf8')) as ForwarderRecord) : [];
}

/**
 * The user's ssh with a tee in front of it, written into `dir` as `counting-ssh`: what the CLI writes
 * to its channels lands in `<dir>/sent` too. Returns both paths (HAFEN_SSH_COMMAND, and the count).
 */
export function countingSsh(lab: SshLab, dir: string): { command: string; counted: string } {
  const counted = path.join(dir, 'sent');
  const command = path.join(dir, 'counting-ssh');
  fs.writeFileSync(command, `#!/bin/sh\ntee -a ${counted} | ${lab.env.HAFEN_SSH_COMMAND} "$@"\n`, { mode: 0o755 });
  return { command, counted };
}

/**
 * The end of a ships e2e file: `down()` (when every lab started), any forwarder it left alive killed,
 * then each lab stopped and `dir` removed, even when `down` fails; a failed `down` fails the file
 * after that (what it left would go unseen otherwise). `down` returns false when it had nothing to do.
 */
export async function endShipsLab(o: { lab: SshLab | undefined | readonly (SshLab | undefined)[]; dir: string; forwarders: () => ForwarderRecord[]; down: () => CliResult | false }): Promise<void> {
  const labs = Array.isArray(o.lab) ? (o.lab as readonly (SshLab | undefined)[]) : [o.lab as SshLab | undefined];
  const started = labs.every((l) => l !== undefined);
  let down: CliResult | false = false;
  try {
    const left = started ? o.forwarders() : [];
    if (started) down = o.down();
    for (const f of left) if (pidAlive(f.pid)) process.kill(f.pid, 'SIGKILL');
  } finally {
    const stops = await Promise.allSettled(labs.map((l) => l?.stop()));
    fs.rmSync(o.dir, { recursive: true, force: true });
    const failed = stops.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  if (down && down.code !== 0) throw new Error(`down -v at the end failed (exit ${down.code}): ${down.stderr}`);
}
