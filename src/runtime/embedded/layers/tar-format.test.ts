import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { requireCommand, unmet } from '../../../testing/requirements.js';
import { LayerError } from './layer-error.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type EntryHeader, type TarEntry } from './tar-format.js';
import { TarParser } from './tar-parser.js';

/** A tar built with our writer: headers, bodies, padding, end marker. */
function writeTar(entries: { header: EntryHeader; body?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { header, body } of entries) {
    parts.push(encodeHeader({ ...header, size: body?.length ?? 0 }));
    if (body) parts.push(body, Buffer.alloc(padding(body.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** Parses `tar` with our parser, fed in pieces of `step` bytes. */
function parse(tar: Buffer, step = tar.length): { entry: TarEntry; body: Buffer }[] {
  const out: { entry: TarEntry; body: Buffer }[] = [];
  let chunks: Buffer[] = [];
  const parser = new TarParser({
    entry: (entry) => {
      chunks = [];
      out.push({ entry, body: Buffer.alloc(0) });
    },
    data: (chunk) => chunks.push(Buffer.from(chunk)),
    entryEnd: () => (out.at(-1)!.body = Buffer.concat(chunks)),
  });
  for (let i = 0; i < tar.length; i += step) parser.push(tar.subarray(i, i + step));
  parser.finish();
  return out;
}

const base: EntryHeader = { name: '', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0 };
const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
const sample: { header: EntryHeader; body?: Buffer }[] = [
  { header: { ...base, name: 'etc', type: 'dir', mode: 0o755 } },
  { header: { ...base, name: 'etc/passwd', mode: 0o4755, uid: 3_000_000, gid: 42 }, body: Buffer.from('root:x:0:0\n') },
  { header: { ...base, name: `deep/${'d'.repeat(120)}/${'n'.repeat(90)}` }, body: Buffer.alloc(1000, 7) },
  { header: { ...base, name: `${'x'.repeat(300)}/file` }, body: Buffer.from('long') },
  { header: { ...base, name: 'grüße/ünïcode' }, body: Buffer.from('u') },
  { header: { ...base, name: 'bin/ping', xattrs: new Map([['security.capability', capability], ['user.note', Buffer.from('a=b\nc')]]) }, body: Buffer.alloc(0) },
  { header: { ...base, name: 'abs', type: 'symlink', mode: 0o777, linkname: `/${'t'.repeat(150)}` } },
  { header: { ...base, name: 'hard', type: 'link', linkname: 'etc/passwd' } },
  { header: { ...base, name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 } },
  { header: { ...base, name: 'dev/sda', type: 'block', devmajor: 8, devminor: 1_048_575 } },
  { header: { ...base, name: 'old', mtime: -86_400 }, body: Buffer.from('1969') },
  { header: { ...base, name: 'fifo', type: 'fifo', mode: 0o600 } },
];

describe('tar format', () => {
  it('reads back everything it writes: long and non-ASCII names, big ids, old times, binary xattrs', () => {
    const tar = writeTar(sample);
    const entries = parse(tar);
    expect(entries.map((e) => e.entry.name)).toEqual(sample.map((s) => (s.header.type === 'dir' ? `${s.header.name}/` : s.header.name)));
    for (const [i, { entry, body }] of entries.entries()) {
      const want = sample[i]!;
      expect({ ...entry, name: entry.name.replace(/\/$/, ''), xattrs: [...entry.xattrs] }).toEqual({
        ...want.header,
        size: want.body?.length ?? 0,
        xattrs: [...(want.header.xattrs ?? new Map())],
      });
      expect(body).toEqual(want.body ?? Buffer.alloc(0));
    }
  });

  it('parses the same whatever the chunking (1 byte, 511, 513, whole)', () => {
    const tar = writeTar(sample);
    const whole = parse(tar);
    for (const step of [1, 511, 513, 4096]) expect(parse(tar, step)).toEqual(whole);
  });

  it('is deterministic: the same entries give the same bytes', () => {
    expect(writeTar(sample).equals(writeTar(sample))).toBe(true);
  });

  it('is readable by tar-stream', async () => {
    const extract = tarStream.extract();
    const seen: string[] = [];
    extract.on('entry', (h, stream, next) => {
      const pax = (h as { pax?: Record<string, string> }).pax; // tar-stream leaves PAX uid/gid to its caller
      seen.push(`${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''} ${pax?.uid ?? h.uid}`);
      stream.on('end', next).resume();
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve).on('error', reject);
      Readable.from([writeTar(sample)]).pipe(extract);
    });
    expect(seen).toContain('file etc/passwd 3000000');
    expect(seen).toContain(`symlink abs -> /${'t'.repeat(150)} 0`);
    expect(seen).toContain(`file ${'x'.repeat(300)}/file 0`);
    expect(seen).toContain('file grüße/ünïcode 0');
    expect(seen).toHaveLength(sample.length);
  });

  it('refuses corrupt and truncated input with a LayerError', () => {
    const tar = writeTar(sample);
    const corrupt = Buffer.from(tar);
    corrupt[10] = 0x41;
    expect(() => parse(corrupt)).toThrow(/checksum/);
    expect(() => parse(tar.subarray(0, 1500))).toThrow(LayerError);
    expect(() => parse(tar.subarray(0, 1500))).toThrow(/truncated/);
    const sparse = Buffer.from(encodeHeader({ ...base, name: 'sparse' }));
    sparse[156] = 'S'.charCodeAt(0);
    sparse.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of sparse) sum += b;
    sparse.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    expect(() => parse(Buffer.concat([sparse, END_OF_ARCHIVE]))).toThrow(/sparse/);
  });
});

describe.skipIf(unmet(requireCommand('tar')))('tar format and GNU tar', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('reads GNU-format archives (long names and link targets as ././@LongLink)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-gnutar-'));
    dirs.push(dir);
    const long = `${'a'.repeat(120)}/${'b'.repeat(120)}`;
    fs.mkdirSync(path.join(dir, 'src', long), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src', long, 'f'), 'content');
    fs.symlinkSync(`/${'c'.repeat(200)}`, path.join(dir, 'src', 'l'));
    execFileSync('tar', ['--format=gnu', '-cf', path.join(dir, 'gnu.tar'), '-C', path.join(dir, 'src'), '.']);
    const entries = parse(fs.readFileSync(path.join(dir, 'gnu.tar')), 700);
    const file = entries.find((e) => e.entry.name === `./${long}/f`)!;
    expect(file.body.toString()).toBe('content');
    expect(entries.find((e) => e.entry.name === './l')!.entry.linkname).toBe(`/${'c'.repeat(200)}`);
  });

  it('writes what GNU tar lists without complaint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-gnutar-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'ours.tar'), writeTar(sample));
    const listing = execFileSync('tar', ['-tf', path.join(dir, 'ours.tar')], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(sample.map((s) => (s.header.type === 'dir' ? `${s.header.name}/` : s.header.name)));
  });
});
