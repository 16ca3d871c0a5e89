/**
 * Cleanup of state folders: rm -rf, but only strictly inside HAFEN_ROOT, and never while anything is
 * mounted below (rm would go through a mount and delete a volume's files).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LedgerResource } from '../ledger/ledger.js';
import { readMountInfo } from '../mountinfo.js';
import type { PhaseResult } from './phase.js';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Removes `dirs` (deepest first); `root` is the guard, `ledgerFile` is never deleted from under its ledger. */
export function removeDirs(dirs: Extract<LedgerResource, { kind: 'dir' }>[], root: string, ledgerFile: string): PhaseResult {
  const result: PhaseResult = { removed: [], failures: [] };
  const mounts = readMountInfo().map((m) => m.mountPoint);
  const sorted = [...dirs].sort((a, b) => b.path.length - a.path.length);
  for (const d of sorted) {
    const p = path.resolve(d.path);
    const resource = `dir ${d.path}`;
    if (!inside(path.resolve(root), p)) {
      result.failures.push({ resource, reason: `not inside HAFEN_ROOT (${root}); left alone` });
      continue;
    }
    if (inside(p, path.resolve(ledgerFile))) {
      result.failures.push({ resource, reason: 'holds the ledger itself; remove the project folder with removeProjectDir' });
      continue;
    }
    let real = p;
    try {
      real = fs.realpathSync(p);
    } catch {
      // Gone already: nothing can be mounted below it.
    }
    const below = mounts.filter((m) => m === real || m.startsWith(`${real}/`));
    if (below.length > 0) {
      result.failures.push({ resource, reason: `still has mounts below it (${below.join(', ')}); left alone` });
      continue;
    }
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (err) {
      // A name the kernel refuses (a component over 255 bytes) was never made: its `mkdir` failed
      // the same way after the ledger named it, so there is nothing to remove.
      if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
        result.removed.push(d);
        continue;
      }
      result.failures.push({ resource, reason: (err as Error).message });
      continue;
    }
    if (fs.existsSync(p)) result.failures.push({ resource, reason: 'still exists after rm -rf' });
    else result.removed.push(d);
  }
  return result;
}
