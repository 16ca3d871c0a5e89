/**
 * The end of a remote e2e file (issue 19): `down -v` through the ssh lab, nothing of the project left
 * on the "remote" side, in this machine's bookkeeping for that host, or here; then the lab's sshd
 * and the test's folder go, even when `down` fails.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import type { SshLab } from '../src/testing/ssh-lab.js';
import type { CliResult } from './cli.js';
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
