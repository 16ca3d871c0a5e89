import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pump, type CopyEntry } from './copy-entries.js';
import { hostSink } from './host-sink.js';
import { tarEntries } from './tar-entries.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-host-sink-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
async function* entries(list: CopyEntry[]): AsyncGenerator<CopyEntry> {
  yield* list;
}
async function* bytes(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

/** A tar as a hostile engine or container could send it. */
async function tarOf(files: { name: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string; body?: string }[]): Promise<Readable> {
  const pack = tarStream.pack();
  for (const f of files) pack.entry({ name: f.name, type: f.type ?? 'file', ...(f.linkname ? { linkname: f.linkname } : {}), mode: 0o644 }, f.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

describe('hostSink', () => {
  it('writes a tree with modes and times, replacing what was there', async () => {
    const top = path.join(dir, 'out');
    await pump(
      entries([
        { ...base, rel: '', kind: 'dir', mode: 0o750 },
        { ...base, rel: 'f', kind: 'file', mode: 0o600, content: bytes('data') },
        { ...base, rel: 'l', kind: 'symlink', linkTarget: '/etc/passwd' },
      ]),
      hostSink({ path: top, merge: false }, { keepOwners: false }),
    );
    expect(fs.statSync(top).mode & 0o777).toBe(0o750);
    expect(fs.readFileSync(path.join(top, 'f'), 'utf8')).toBe('data');
    expect(fs.statSync(path.join(top, 'f')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(top, 'f')).mtimeMs).toBe(1_700_000_000_000);
    expect(fs.readlinkSync(path.join(top, 'l'))).toBe('/etc/passwd');
  });

  it('never writes through a symlink an earlier entry made', async () => {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    const tar = await tarOf([
      { name: 'top', type: 'directory' },
      { name: 'top/link', type: 'symlink', linkname: outside },
      { name: 'top/link/pwned', body: 'x' },
    ]);
    await expect(pump(tarEntries(tar), hostSink({ path: path.join(dir, 'out'), merge: false }, { keepOwners: false }))).rejects.toThrow('is not a directory');
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('refuses tar names that climb out of the copy', async () => {
    const tar = await tarOf([{ name: 'top', type: 'directory' }, { name: 'top/../../escaped', body: 'x' }]);
    await expect(pump(tarEntries(tar), hostSink({ path: path.join(dir, 'out'), merge: false }, { keepOwners: false }))).rejects.toThrow('outside the destination');
    expect(fs.existsSync(path.join(dir, 'escaped'))).toBe(false);
  });

  it('refuses a tar entry outside its top', async () => {
    const tar = await tarOf([{ name: 'top', type: 'directory' }, { name: 'other/file', body: 'x' }]);
    await expect(pump(tarEntries(tar), hostSink({ path: path.join(dir, 'out'), merge: false }, { keepOwners: false }))).rejects.toThrow('outside its top');
  });
});
