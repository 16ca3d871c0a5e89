/**
 * The context step of an unchanged remote rebuild (issue 19), in this process (no ssh: the host's
 * cache is served in place, as agent.ts serves it, and already holds every file, so nothing is
 * sent): the CLI listing the context and naming each file's content, with the digests remembered
 * from the last build (context-digests.ts: an unchanged file is only stat'ed) against without them
 * (every file read and hashed: what every remote build did before). The context: FILES files
 * (default 2000) holding SIZE_MB (default 100) of random bytes. Each round runs both back to back;
 * the table gives medians with min–max over RUNS rounds (default 7) and the ratio. Files are in the
 * page cache (written just before): the reads cost hashing, not the disk.
 * Run: npm run build && node dist/bench/remote-context.js
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContextCache, type BlobPiece } from '../src/remote/context-cache.js';
import { sendListing } from '../src/remote/context-send.js';
import { contextEntries } from '../src/runtime/docker/context-entries.js';

const RUNS = Number(process.env.RUNS ?? 7);
const FILES = Number(process.env.FILES ?? 2000);
const SIZE_MB = Number(process.env.SIZE_MB ?? 100);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-context-'));
  try {
    const context = path.join(dir, 'ctx');
    const each = Math.floor((SIZE_MB * 1024 * 1024) / FILES);
    for (let i = 0; i < FILES; i++) {
      const sub = path.join(context, `d${i % 20}`);
      fs.mkdirSync(sub, { recursive: true });
      fs.writeFileSync(path.join(sub, `f${i}`), randomBytes(each));
    }
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM host\nCOPY . /ctx/\n');
    const cache = new ContextCache(path.join(dir, 'remote'));
    const call = async <T>(method: string, args: unknown[]): Promise<T> => {
      if (method === 'contextMissing') return (await cache.missing(args[0] as string[])) as T;
      cache.put(args[0] as BlobPiece[]);
      return null as T;
    };
    // Files count as settled (their times are seconds old) without waiting: the clock is set ahead.
    const now = (): number => Date.now() + 10_000;
    const once = async (digestsRoot: string): Promise<{ ms: number; said: string }> => {
      let said = '';
      const t0 = performance.now();
      const sent = await sendListing(await contextEntries(context, 'Dockerfile'), context, { key: 'bench/app', digestsRoot, call, say: (l) => (said = l), now });
      const ms = performance.now() - t0;
      await cache.remember(sent);
      return { ms, said };
    };
    const remembered = path.join(dir, 'digests');
    console.log(`first build (fills both caches): ${(await once(remembered)).said}`);
    const warm: number[] = [];
    const cold: number[] = [];
    let saidWarm = '';
    let saidCold = '';
    for (let r = 0; r < RUNS; r++) {
      const w = await once(remembered);
      warm.push(w.ms);
      saidWarm = w.said;
      const fresh = fs.mkdtempSync(path.join(dir, 'none-'));
      const c = await once(fresh);
      cold.push(c.ms);
      saidCold = c.said;
    }
    console.log(`| context step of an unchanged remote rebuild, ${FILES} files, ${SIZE_MB} MiB (RUNS=${RUNS}) | digests remembered: ${fmt(warm)} (${saidWarm}) | every file read and hashed: ${fmt(cold)} (${saidCold}) | ${(median(cold) / median(warm)).toFixed(1)}× |`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
