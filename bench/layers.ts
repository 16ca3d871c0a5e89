/**
 * Layer tar throughput: export (diffLayer) and unpack (applyLayer, plain and gzip) of a ~100 MB
 * synthetic tree of many small files and some big ones; GNU tar on the same tree for scale.
 * Medians of 3 runs, in MB/s of uncompressed tar, into the page cache (synced between runs, not
 * within). Needs root (ownership). Run: npm run bench:layers (TMPDIR=/dev/shm to leave the disk out).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { applyLayer, diffLayer } from '../src/runtime/embedded/layers/index.js';

const RUNS = 3;
const SMALL_FILES = 12_000; // 1..8 KiB each
const BIG_FILES = 50; // 1 MiB each

function makeTree(root: string): void {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  const pool = randomBytes(8 * 1024 * 1024);
  for (let i = 0; i < SMALL_FILES; i++) {
    const dir = path.join(root, `d${i % 20}`, `s${i % 300}`);
    if (i < 300) fs.mkdirSync(dir, { recursive: true });
    const size = 1024 + (next() % (7 * 1024));
    const off = next() % (pool.length - size);
    fs.writeFileSync(path.join(dir, `f${i}.txt`), pool.subarray(off, off + size));
  }
  fs.mkdirSync(path.join(root, 'big'));
  for (let i = 0; i < BIG_FILES; i++) fs.writeFileSync(path.join(root, 'big', `b${i}.bin`), randomBytes(1024 * 1024));
  for (let i = 0; i < 200; i++) fs.symlinkSync(`../d${i % 20}/s${i % 300}/f${i}.txt`, path.join(root, 'big', `l${i}`));
}

async function median(label: string, bytes: number, run: () => Promise<void> | void, reset: () => void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    reset();
    execFileSync('sync'); // each run starts with no dirty pages queued by the one before
    const t0 = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const t = times[Math.floor(RUNS / 2)]!;
  const mbps = bytes / 1e6 / t;
  console.log(`${label.padEnd(34)} ${(t * 1000).toFixed(0).padStart(6)} ms  ${mbps.toFixed(0).padStart(5)} MB/s`);
  return mbps;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/layers needs root (layers keep ownership)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-layers-'));
  try {
    const tree = path.join(work, 'tree');
    const tar = path.join(work, 'layer.tar');
    const gz = path.join(work, 'layer.tar.gz');
    const out = path.join(work, 'out');
    makeTree(tree);
    execFileSync('sync');
    const clean = () => fs.rmSync(out, { recursive: true, force: true });

    // one export up front for the sizes
    const first = diffLayer(tree);
    await pipeline(first.stream, fs.createWriteStream(tar));
    const { size, diffId } = await first.digest;
    await pipeline(fs.createReadStream(tar), zlib.createGzip({ level: 1 }), fs.createWriteStream(gz));
    console.log(`tree: ${SMALL_FILES + BIG_FILES} files, tar ${(size / 1e6).toFixed(1)} MB, gzip ${(fs.statSync(gz).size / 1e6).toFixed(1)} MB, ${diffId.slice(0, 19)}…`);
    console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, medians of ${RUNS}`);

    await median('diffLayer  tree -> tar file', size, async () => {
      const { stream } = diffLayer(tree);
      await pipeline(stream, fs.createWriteStream(tar));
    }, () => {});
    await median('applyLayer tar file -> dir', size, async () => {
      await applyLayer(fs.createReadStream(tar, { highWaterMark: 1 << 20 }), out);
    }, clean);
    await median('applyLayer tar.gz file -> dir', size, async () => {
      await applyLayer(fs.createReadStream(gz, { highWaterMark: 1 << 20 }), out);
    }, clean);
    const gnuTar = path.join(work, 'gnu.tar');
    await median('GNU tar -c (for scale)', size, () => {
      execFileSync('tar', ['--xattrs', '--numeric-owner', '-cf', gnuTar, '-C', tree, '.']);
    }, () => {});
    await median('GNU tar -x --xattrs -p (for scale)', size, () => {
      fs.mkdirSync(out);
      execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', tar, '-C', out]);
    }, clean);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
