/**
 * Pulling a multi-layer image from a registry on loopback (Debian's docker-registry, image pushed by
 * skopeo), hafen vs `docker pull` of the same image on the same machine, medians of N runs:
 *   a) a cold pull: every layer downloaded, verified and unpacked (hafen: an empty store each run;
 *      Docker: `docker rmi` before each run);
 *   b) a pull of an image already there (manifest checked, nothing downloaded).
 * Docker treats 127.0.0.0/8 as an insecure registry, so it pulls over http as hafen does.
 * Needs root, busybox-static, docker-registry and skopeo. Run: npm run build && node dist/bench/pull.js
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pullFromRegistry } from '../src/runtime/embedded/registry/index.js';
import { makeLayeredImage, saveArchive } from '../src/runtime/embedded/registry/fixtures/test-images.js';
import { skopeoCopy, startRegistry } from '../src/runtime/embedded/registry/fixtures/test-registry.js';
import { openStore } from '../src/runtime/embedded/store/index.js';

const RUNS = Number(process.env.RUNS ?? 5);
/** Layers over busybox: each 12 MiB, half random (incompressible), half text (compressible). */
const LAYERS = Number(process.env.LAYERS ?? 6);
const LAYER_BYTES = 12 << 20;

interface Figures {
  median: number;
  min: number;
  max: number;
}

async function measure(label: string, once: () => Promise<unknown> | unknown, prepare: () => void = () => {}): Promise<Figures> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    prepare();
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const f = { median: ms[RUNS >> 1]!, min: ms[0]!, max: ms[RUNS - 1]! };
  const p = (x: number) => x.toFixed(1).padStart(8);
  console.log(`${label.padEnd(52)} median ${p(f.median)}  min ${p(f.min)}  max ${p(f.max)}  ms  (${RUNS} runs)`);
  return f;
}

const ratio = (docker: Figures, hafen: Figures) => console.log(`${''.padEnd(52)} docker / hafen: ${(docker.median / hafen.median).toFixed(2)}x`);

function docker(...args: string[]): void {
  const r = spawnSync('docker', args, { encoding: 'utf8', stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
}

/** One layer's files: random bytes and repetitive text. */
function layerFiles(i: number): Record<string, Buffer> {
  const text = Buffer.from(`line ${i} of a compressible file with some words in it\n`.repeat(Math.ceil(LAYER_BYTES / 2 / 56))).subarray(0, LAYER_BYTES / 2);
  return { [`data/layer${i}/random.bin`]: randomBytes(LAYER_BYTES / 2), [`data/layer${i}/text.txt`]: text };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (the busybox base image is made with root-owned files)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-pull-'));
  const registry = await startRegistry(path.join(dir, 'registry'));
  const dockerOk = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  const ref = `${registry.host}/hafen-bench/layered:1`;
  try {
    const source = openStore(path.join(dir, 'source'));
    await makeLayeredImage(source, 'bench/layered:1', Array.from({ length: LAYERS }, (_, i) => layerFiles(i)));
    const archive = await saveArchive(source, 'bench/layered:1', path.join(dir, 'layered.tar'));
    await skopeoCopy(`docker-archive:${archive}`, `docker://${ref}`);
    fs.rmSync(path.join(dir, 'source'), { recursive: true, force: true });
    const stored = fs
      .readdirSync(path.join(registry.storage, 'docker/registry/v2/blobs/sha256'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    console.log(`image: busybox + ${LAYERS} layers of ${LAYER_BYTES >> 20} MiB (half random, half text); ${(stored / 1e6).toFixed(1)} MB compressed in the registry`);

    const root = path.join(dir, 'hafen');
    const fresh = () => fs.rmSync(root, { recursive: true, force: true });
    const hafenCold = await measure('a) cold pull, hafen', () => pullFromRegistry(openStore(root), ref), fresh);
    const hafenWarm = await measure('b) pull of a present image, hafen', () => pullFromRegistry(openStore(root), ref));
    fresh();
    if (!dockerOk) {
      console.log('docker: `docker info` fails here, so no comparison');
      return;
    }
    const rmi = () => spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
    const dockerCold = await measure('a) cold pull, docker pull', () => docker('pull', '-q', ref), rmi);
    ratio(dockerCold, hafenCold);
    const dockerWarm = await measure('b) pull of a present image, docker pull', () => docker('pull', '-q', ref));
    ratio(dockerWarm, hafenWarm);
    rmi();
  } finally {
    await registry.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
