/**
 * ADD's local archives: a file is extracted when it is a tar (plain, gzip, bzip2, xz or zstd), told
 * by its content as Docker tells it, not by its name. Extraction goes through applyLayer's safe
 * extractor (nothing outside the target, no symlink followed); bzip2 and xz are decompressed by
 * the `bzip2` and `xz` tools.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { RuntimeError } from '../../../errors.js';
import { applyLayer } from '../layers/index.js';

type Format = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

const MAGIC: [Format, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];
const TOOLS: Partial<Record<Format, string>> = { bzip2: 'bzip2', xz: 'xz', zstd: 'zstd' };
const HEAD = 64 * 1024;

function formatOf(head: Buffer): Format {
  return MAGIC.find(([, bytes]) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b))?.[0] ?? 'none';
}

/** Whether a 512-byte block is a tar header: a valid checksum (ustar or old-style). */
export function looksLikeTar(block: Buffer): boolean {
  if (block.length < 512 || block.subarray(0, 512).every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === Number.parseInt(field, 8);
}

function readHead(abs: string): Buffer {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(HEAD);
    return buf.subarray(0, fs.readSync(fd, buf, 0, HEAD, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function requireTool(format: Format): string {
  const tool = TOOLS[format]!;
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) {
    throw new RuntimeError('ADD', `this archive is ${format}-compressed and the \`${tool}\` tool is not installed`);
  }
  return tool;
}

/** Whether ADD extracts this file: a tar archive, compressed or not. */
export function isArchive(abs: string): boolean {
  const head = readHead(abs);
  const format = formatOf(head);
  let tarHead: Buffer;
  if (format === 'none') tarHead = head;
  else if (format === 'gzip') {
    try {
      tarHead = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  } else {
    tarHead = spawnSync(requireTool(format), ['-dc'], { input: head, maxBuffer: 16 * HEAD }).stdout ?? Buffer.alloc(0);
  }
  return looksLikeTar(tarHead);
}

/** Extracts the archive at `abs` into `targetDir` (merged into what is there). */
export async function extractArchive(abs: string, targetDir: string): Promise<void> {
  const format = formatOf(readHead(abs));
  if (format !== 'bzip2' && format !== 'xz') {
    await applyLayer(fs.createReadStream(abs), targetDir);
    return;
  }
  const child = spawn(requireTool(format), ['-dc', abs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  try {
    await applyLayer(child.stdout, targetDir);
  } catch (err) {
    child.kill();
    await exited.catch(() => {});
    throw err;
  }
  const code = await exited;
  if (code !== 0) throw new RuntimeError('ADD', `${format} failed to decompress ${abs} (exit ${code}): ${stderr.trim()}`);
}
