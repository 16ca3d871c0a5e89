import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { applyLayer } from './apply-layer.js';
import { sha256 } from './ids.js';
import { recordSkeleton, regenerateTar } from './tar-skeleton.js';

const temps: string[] = [];
function tmp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-${label}-`));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Unpacks the tar file, records its skeleton and rebuilds it from the folder. */
async function roundTrip(tarFile: string): Promise<{ rebuilt: Buffer; folder: string; literal: number }> {
  const folder = path.join(tmp('skel-out'), 'diff');
  await applyLayer(fs.createReadStream(tarFile), folder);
  const skeleton = recordSkeleton(tarFile);
  if ('refused' in skeleton) throw new Error(skeleton.refused);
  return { rebuilt: Buffer.concat([...regenerateTar(skeleton, folder, 'test')]), folder, literal: skeleton.literal.length };
}

describe.skipIf(unmet(requireRoot(), requireCommand('tar')))('tar skeletons', () => {
  it('rebuild a GNU tar byte for byte from its unpacked files: big and empty files, long names, links, a whiteout', async () => {
    const src = tmp('skel-src');
    fs.mkdirSync(path.join(src, 'd/sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'd/big.bin'), Buffer.alloc(3 * 1024 * 1024 + 7, 0xab)); // spans the 1 MiB chunks
    fs.writeFileSync(path.join(src, 'd/empty'), '');
    fs.writeFileSync(path.join(src, `d/sub/${'long-name-'.repeat(15)}`), 'a name past 100 bytes\n');
    fs.symlinkSync('/etc/passwd', path.join(src, 'd/abs-link'));
    fs.linkSync(path.join(src, 'd/big.bin'), path.join(src, 'd/hard'));
    fs.writeFileSync(path.join(src, 'd/.wh.gone'), '');
    const tarFile = path.join(tmp('skel-tar'), 'layer.tar');
    for (const format of ['gnu', 'pax']) {
      execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', tarFile, '.']);
      const { rebuilt, literal } = await roundTrip(tarFile);
      expect(sha256(rebuilt)).toBe(sha256(fs.readFileSync(tarFile)));
      expect(literal).toBeLessThan(64 * 1024); // the skeleton holds headers, not the 3 MiB of data
    }
  });

  it('refuses a tar whose file a later entry replaces, and a rebuild from a changed folder fails', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'a.txt' }, 'first');
    pack.entry({ name: 'a.txt' }, 'second');
    pack.finalize();
    const dup = path.join(tmp('skel-dup'), 'dup.tar');
    fs.writeFileSync(dup, await buffer(pack));
    expect(recordSkeleton(dup)).toEqual({ refused: 'a.txt is given more than once' });

    const ok = tarStream.pack();
    ok.entry({ name: 'dir/', type: 'directory' });
    ok.entry({ name: 'dir/file', type: 'file' }, 'contents');
    ok.entry({ name: 'dir/.wh.gone' }, '');
    ok.finalize();
    const tarFile = path.join(tmp('skel-ok'), 'ok.tar');
    fs.writeFileSync(tarFile, await buffer(ok));
    const { folder } = await roundTrip(tarFile);
    const skeleton = recordSkeleton(tarFile);
    if ('refused' in skeleton) throw new Error(skeleton.refused);
    fs.writeFileSync(path.join(folder, 'dir/file'), 'CONTENTS');
    expect(() => [...regenerateTar(skeleton, folder, 'layer x')]).toThrow(/hashes to sha256:[0-9a-f]+, not its DiffID .*the store is damaged/);
  });
});
