/**
 * Cleanup of mounts and network namespaces: lazy unmounts (`umount -l`, deepest first, all in one
 * spawn), then for a netns the bind file is removed, retrying on EBUSY (the kernel refuses while a
 * dying container's mount namespace still holds it), each checked against /proc/self/mountinfo.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerResource } from '../ledger/ledger.js';
import { mountPoints } from '../mountinfo.js';
import type { PhaseResult } from './phase.js';
import { runCommand, stderrAbout } from './run-command.js';

/** The path as mountinfo shows it: symlinks in the ledger's path resolved, when it still exists. */
function canonical(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function depth(p: string): number {
  return p.split('/').length;
}

/** Unmounts each of `paths` (lazily) until mountinfo no longer lists it; returns the stderr of umount for reasons. */
async function unmountAll(paths: string[]): Promise<{ left: string[]; stderr: string }> {
  let left = paths.filter((p) => mountPoints().has(p)).sort((a, b) => depth(b) - depth(a) || b.length - a.length);
  let stderr = '';
  // A path mounted several times over needs one umount per layer.
  for (let round = 0; round < 8 && left.length > 0; round++) {
    const r = await runCommand('umount', ['-l', ...left]);
    if (r.stderr) stderr = r.stderr;
    const now = mountPoints();
    const still = left.filter((p) => now.has(p));
    if (still.length === left.length && r.code !== 0) {
      left = still;
      break;
    }
    left = still;
  }
  return { left, stderr };
}

/** Removes the ledger's mounts; one already gone is fine. */
export async function removeMounts(mounts: Extract<LedgerResource, { kind: 'mount' }>[]): Promise<PhaseResult> {
  const result: PhaseResult = { removed: [], failures: [] };
  const paths = new Map(mounts.map((m) => [m, canonical(m.path)]));
  const { left, stderr } = await unmountAll([...new Set(paths.values())]);
  for (const [m, p] of paths) {
    if (!left.includes(p)) result.removed.push(m);
    else result.failures.push({ resource: `mount ${m.path}`, reason: `still mounted after umount -l: ${stderrAbout(stderr, p) || 'no reason given'}` });
  }
  return result;
}

/** unlink that retries EBUSY with back-off for up to `busyMs`; true when the file is gone. */
async function unlinkRetry(file: string, busyMs: number): Promise<string | undefined> {
  const deadline = Date.now() + busyMs;
  let pause = 10;
  for (;;) {
    try {
      fs.rmSync(file, { force: true });
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EBUSY' || Date.now() > deadline) return (err as Error).message;
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 200);
  }
}

/** Removes the ledger's network namespaces: unmount the bind, delete the file, verify both. */
export async function removeNetns(netns: Extract<LedgerResource, { kind: 'netns' }>[], busyMs = 3000): Promise<PhaseResult> {
  const result: PhaseResult = { removed: [], failures: [] };
  const { stderr } = await unmountAll(netns.map((n) => n.path));
  await Promise.all(
    netns.map(async (n) => {
      const unlinkError = await unlinkRetry(n.path, busyMs);
      const mounted = mountPoints().has(n.path);
      if (!mounted && !fs.existsSync(n.path)) result.removed.push(n);
      else {
        const why = mounted ? `still mounted: ${stderrAbout(stderr, n.path) || 'umount -l failed'}` : `cannot remove the file: ${unlinkError}`;
        result.failures.push({ resource: `netns ${n.path}`, reason: why });
      }
    }),
  );
  return result;
}
