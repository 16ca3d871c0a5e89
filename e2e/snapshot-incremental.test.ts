/**
 * A second snapshot without a reset in between (issue 20), through the built CLI on the embedded
 * runtime: it holds the first one's layers and one new layer per writable folder of only what changed
 * since (files added and changed, whiteouts for files deleted), for the root filesystem and for a
 * named volume. Resets onto either give exactly that snapshot's data, and the second snapshot's size
 * grows by the changed bytes, not by the large files written before the first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { volumeStack } from './snapshot-stack.js';

/** Every regular file under /state and /data with its size and first bytes, whether a file of the image is there, and /state/dir's mtime. */
const LIST = 'for f in $(find /state /data -type f | sort); do echo "$f $(wc -c < $f) $(head -c 8 $f | od -An -tx1 | tr -d " \\n")"; done; test -e /etc/group && echo group; stat -c "dir %Y" /state/dir 2>/dev/null; true';

/** A snapshot's size as `snapshot ls` reports it. */
interface Listed {
  name: string;
  size: number;
}

for (const target of cliTargets('10.221.0.0/16:24').filter((t) => t.runtime === 'embedded')) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements))(`incremental snapshots on the ${target.name} runtime`, () => {
    const { ok, newProject } = projectsOn(target, { tmpPrefix: 'snapinc', stack: volumeStack });
    const sh = (p: string, script: string): string => ok(p, ['exec', '-T', 'app', 'sh', '-c', script]).stdout;
    const sizes = (p: string): Map<string, number> => new Map((JSON.parse(ok(p, ['snapshot', 'ls', '--format', 'json']).stdout) as Listed[]).map((s) => [s.name, s.size]));
    const layersDir = (): string => path.join(target.stateRoot(), 'images/layers');
    const layerIds = (): string[] => (fs.existsSync(layersDir()) ? fs.readdirSync(layersDir()) : []);
    /** A stored layer's uncompressed tar size. */
    const layerSize = (id: string): number => (JSON.parse(fs.readFileSync(path.join(layersDir(), id, 'layer.json'), 'utf8')) as { size: number }).size;

    it('captures only what changed since the previous snapshot, and resets onto either exactly', () => {
      const p = newProject('si');
      ok(p, ['up', '-d']);
      // 2 MB written before the first snapshot, in the root filesystem and in the volume.
      sh(p, 'mkdir -p /state/dir && head -c 1000000 /dev/urandom > /state/big && echo one > /state/a && echo gone > /state/gone && head -c 1000000 /dev/urandom > /data/big && echo vol1 > /data/v && echo gone > /data/gone && rm /etc/group');
      const first = sh(p, LIST);
      ok(p, ['snapshot', 'first']);
      const firstSize = sizes(p).get('first')!;
      expect(firstSize).toBeGreaterThan(2_000_000);

      // Changed, deleted, added: about 3 KB, with the big files untouched; a folder whose mtime alone changed.
      sh(p, 'touch -d "2020-01-02 03:04:05" /state/dir && echo two > /state/a && rm /state/gone && head -c 1500 /dev/urandom > /state/new && echo vol2 > /data/v && rm /data/gone && head -c 1500 /dev/urandom > /data/new && echo back > /etc/group');
      const second = sh(p, LIST);
      expect(second).not.toBe(first);
      expect(second).toContain(`dir ${Date.parse('2020-01-02T03:04:05Z') / 1000}`);
      const before = new Set(layerIds());
      const taken = ok(p, ['snapshot', 'second']);
      expect(taken.stderr).not.toContain('capturing all of it');
      // One new layer for the root filesystem, one for the volume: the changed files (about 3 KB),
      // whiteouts and their folders' headers; not the 2 MB again. The second holds the first's layers under them.
      const added = layerIds().filter((id) => !before.has(id));
      expect(added).toHaveLength(2);
      const addedBytes = added.reduce((sum, id) => sum + layerSize(id), 0);
      expect(addedBytes).toBeGreaterThan(3_000);
      expect(addedBytes).toBeLessThan(40_000);
      expect(sizes(p).get('second')! - firstSize).toBe(addedBytes);

      ok(p, ['reset', 'second']);
      expect(sh(p, LIST)).toBe(second);
      ok(p, ['reset', 'first']);
      expect(sh(p, LIST)).toBe(first);
      ok(p, ['reset', 'second']);
      expect(sh(p, LIST)).toBe(second);

      // A third over the second, after a reset onto it: still incremental, and the first can go.
      sh(p, 'echo three > /state/a && rm /data/big');
      ok(p, ['snapshot', 'third']);
      const third = sh(p, LIST);
      ok(p, ['snapshot', 'rm', 'first']);
      ok(p, ['reset', 'second']);
      expect(sh(p, LIST)).toBe(second);
      ok(p, ['reset', 'third']);
      expect(sh(p, LIST)).toBe(third);
      expect(third).not.toContain('/data/big');

      ok(p, ['down', '-v', '-t', '1']);
      expect(target.leftovers(p)).toEqual([]);
    }, 240_000);
  });
}
