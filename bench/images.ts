/**
 * The embedded image store (DESIGN.md, "Benchmarks"), medians of N runs, Docker on the same
 * machine alongside when `docker info` works:
 *   a) a no-op rebuild of a 10-step Dockerfile (2,000 small files and 20 MB copied; goal < 100 ms);
 *   b) a rebuild where only the last step (a COPY of one small file) changed;
 *   c) importing and unpacking a ~100 MB docker-archive of incompressible data (`docker load`);
 *   d) disk used by 10 images on one 50 MB base, counted as `docker system df` counts, beside Docker (ONLY=d: this alone).
 * Needs root and busybox-static. Run: npm run bench:images (TMPDIR=/dev/shm to leave the disk out).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedImages } from '../src/runtime/embedded/embedded-images.js';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { importDockerArchive, saveDockerArchive } from '../src/runtime/embedded/image-io/index.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';

const RUNS = Number(process.env.RUNS ?? 10);
const IMPORT_RUNS = 5;
const BASE = 'hafen-bench-busybox:latest';
const PREFIX = `hafen-bench-${process.pid}`;

interface Figures {
  median: number;
  min: number;
  max: number;
}

/** Runs `once` `runs` times after a warm-up (unless `warm` is false), `prepare` untimed before each. */
async function measure(label: string, runs: number, once: (i: number) => Promise<unknown> | unknown, prepare: (i: number) => void = () => {}, warm = true): Promise<Figures> {
  if (warm) {
    prepare(-1);
    await once(-1);
  }
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    prepare(i);
    const t0 = performance.now();
    await once(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const f = { median: ms[runs >> 1]!, min: ms[0]!, max: ms[runs - 1]! };
  const p = (x: number) => x.toFixed(1).padStart(8);
  console.log(`${label.padEnd(58)} median ${p(f.median)}  min ${p(f.min)}  max ${p(f.max)}  ms  (${runs} runs)`);
  return f;
}

const ratio = (docker: Figures, hafen: Figures) => console.log(`${''.padEnd(58)} docker / hafen: ${(docker.median / hafen.median).toFixed(1)}x`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e8 ? 2 : 1)} MB`;

function dockerWorks(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Every image id `docker build` printed: rebuilds leave the earlier ones untagged, and they are removed at the end too. */
const dockerBuilt: string[] = [];

function docker(...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  if (args[0] === 'build') dockerBuilt.push(...r.stdout.split('\n').filter((l) => l.startsWith('sha256:')));
  return r.stdout;
}

/** Bytes on disk under `dir`, each hard-linked file once (GNU du). */
function du(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/**
 * Bytes of the files under `dir`, each inode once, directories left out: how `docker system df`
 * counts a layer (moby's directory size walk skips directory sizes), so the two compare. `layers`
 * is the part that is layer data (unpacked files, layer tars kept whole), as Docker's figure is;
 * the rest is metadata (configs, manifests, build cache, records, and the tar skeletons, which are
 * what Docker's tar-split files are to it), which Docker keeps too but does not count there.
 */
function fileBytes(dir: string): { all: number; layers: number } {
  const seen = new Set<number>();
  const out = { all: 0, layers: 0 };
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    const st = fs.lstatSync(file);
    if (st.isDirectory() || seen.has(st.ino)) continue;
    seen.add(st.ino);
    out.all += st.size;
    const inLayers = name.startsWith('images/layers/') && path.basename(name) !== 'layer.json';
    const blob = /^images\/blobs\/sha256\/[0-9a-f]{64}$/.test(name) && st.size > 0 && fs.readFileSync(file).subarray(0, 1).toString() !== '{';
    if (inLayers || blob) out.layers += st.size;
  }
  return out;
}

/** The build context of (a) and (b): 2,000 files of 1-8 KiB in src/, a 20 MB asset, and last.txt. */
function makeContext(dir: string): void {
  const pool = randomBytes(1 << 20);
  for (let i = 0; i < 2000; i++) {
    const sub = path.join(dir, 'src', `m${i % 40}`);
    if (i < 40) fs.mkdirSync(sub, { recursive: true });
    const size = 1024 + ((i * 7919) % (7 * 1024));
    fs.writeFileSync(path.join(sub, `f${i}.js`), pool.subarray(i * 97, i * 97 + size));
  }
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'big.bin'), randomBytes(20 << 20));
  fs.writeFileSync(path.join(dir, 'last.txt'), 'first\n');
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${BASE}`,
      'ENV APP=/app',
      'WORKDIR /app',
      'COPY assets/ /app/assets/',
      'COPY src/ /app/src/',
      'RUN find /app/src -type f | wc -l > /app/count.txt',
      'ARG MODE=release',
      'ENV MODE=$MODE',
      'RUN echo built in $MODE > /app/mode.txt',
      'LABEL bench=images',
      'COPY last.txt /app/last.txt',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/images needs root (builds and layers keep ownership)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-images-'));
  const withDocker = dockerWorks();
  const dockerTags: string[] = [];
  try {
    const root = path.join(work, 'root');
    const images = new EmbeddedImages(root);
    await importBusyboxImage(images.store, BASE);
    if (withDocker) {
      const rootfs = path.join(work, 'bb-rootfs');
      makeBusyboxRootfs(rootfs);
      execFileSync('tar', ['-C', rootfs, '-cf', path.join(work, 'bb.tar'), '.']);
      docker('import', '--change', 'ENV PATH=/bin', path.join(work, 'bb.tar'), BASE);
      dockerTags.push(BASE);
    }
    console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, load ${os.loadavg()[0]!.toFixed(2)}, ${withDocker ? `docker ${docker('version', '--format', '{{.Server.Version}}').trim()} (legacy builder)` : 'no docker'}`);

    const ctx = path.join(work, 'ctx');
    const spec = { contextDir: ctx, dockerfile: 'Dockerfile', args: {}, tag: `${PREFIX}/app:1`, noCache: false, labels: {} };
    // ONLY=d: the disk figures alone (they need no timing, so no quiet machine).
    if (process.env.ONLY !== 'd') {
      // a) and b): rebuilds of a 10-step Dockerfile.
      makeContext(ctx);
      const first = performance.now();
      await images.build(spec);
      console.log(`first build (10 steps, 2,000 files + 20 MB copied): ${(performance.now() - first).toFixed(0)} ms`);
      const build = async (expectRun: number) => {
        const r = await images.build(spec);
        if (r.executedSteps !== expectRun) throw new Error(`expected ${expectRun} step(s) run, got ${r.executedSteps}`);
      };
      const noop = await measure('a) hafen: no-op rebuild (goal < 100 ms)', RUNS, () => build(0));
      const cli = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../cli.cjs'); // the bundle users run
      fs.writeFileSync(path.join(work, 'stack.yaml'), `name: bench\nservices:\n  app:\n    image: ${PREFIX}/app:1\n    build: ./ctx\n`);
      await measure('a) hafen: `stack build`, whole CLI process', RUNS, () => {
        execFileSync(process.execPath, [cli, 'build'], { cwd: work, env: { ...process.env, HAFEN_ROOT: root }, stdio: 'ignore' });
      });
      let n = 0;
      const changeLast = () => fs.writeFileSync(path.join(ctx, 'last.txt'), `change ${n++}\n`);
      const last = await measure('b) hafen: rebuild, last step changed', RUNS, () => build(1), changeLast);
      if (withDocker) {
        const dockerBuild = () => docker('build', '-q', '-t', `${PREFIX}/app:1`, ctx);
        dockerTags.push(`${PREFIX}/app:1`);
        dockerBuild();
        ratio(await measure('a) docker build: no-op rebuild', RUNS, dockerBuild), noop);
        ratio(await measure('b) docker build: rebuild, last step changed', RUNS, dockerBuild, changeLast), last);
      }

      // c) import and unpack of a ~100 MB docker-archive of random data, into a fresh store each run.
      const bigCtx = path.join(work, 'big');
      fs.mkdirSync(bigCtx);
      for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(bigCtx, `data${i}.bin`), randomBytes(25 << 20));
      fs.writeFileSync(path.join(bigCtx, 'Dockerfile'), 'FROM scratch\nCOPY data0.bin data1.bin data2.bin data3.bin /data/\n');
      await images.build({ ...spec, contextDir: bigCtx, tag: `${PREFIX}/big:1` });
      const archive = path.join(work, 'big.tar');
      await saveDockerArchive(images.store, `${PREFIX}/big:1`, archive);
      const size = fs.statSync(archive).size;
      const fresh = path.join(work, 'fresh');
      const reset = () => {
        fs.rmSync(fresh, { recursive: true, force: true });
        execFileSync('sync');
      };
      const imported = await measure(`c) hafen: import + unpack a ${mb(size)} docker-archive`, IMPORT_RUNS, () => importDockerArchive(openStore(fresh), archive), reset, false);
      console.log(`${''.padEnd(58)} ${(size / 1e6 / (imported.median / 1000)).toFixed(0)} MB/s`);
      reset();
      if (withDocker) {
        const rmi = () => {
          spawnSync('docker', ['rmi', '-f', `${PREFIX}/big:1`], { stdio: 'ignore' });
          execFileSync('sync');
        };
        dockerTags.push(`${PREFIX}/big:1`);
        ratio(await measure(`c) docker load of the same archive`, IMPORT_RUNS, () => docker('load', '-q', '-i', archive), rmi, false), imported);
        rmi();
      }
    }

    // d) 10 images on one 50 MB base, in a store of their own.
    const shared = path.join(work, 'shared');
    const sharedImages = new EmbeddedImages(shared);
    await importBusyboxImage(sharedImages.store, BASE);
    const baseCtx = path.join(work, 'base');
    fs.mkdirSync(baseCtx);
    fs.writeFileSync(path.join(baseCtx, 'base.bin'), randomBytes(50 << 20));
    fs.writeFileSync(path.join(baseCtx, 'Dockerfile'), `FROM ${BASE}\nCOPY base.bin /opt/base.bin\n`);
    const storeDir = sharedImages.store.paths.root;
    const before = du(storeDir);
    const filesBefore = fileBytes(storeDir);
    await sharedImages.build({ ...spec, contextDir: baseCtx, tag: `${PREFIX}/base:1` });
    const withBase = du(storeDir);
    for (let i = 0; i < 10; i++) {
      const dir = path.join(work, `child${i}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'app.txt'), `app ${i}\n`);
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${PREFIX}/base:1\nCOPY app.txt /app/app.txt\nRUN echo ${i} > /app/id\n`);
      await sharedImages.build({ ...spec, contextDir: dir, tag: `${PREFIX}/child:${i}` });
    }
    const all = du(storeDir);
    const filesAfter = fileBytes(storeDir);
    const files = filesAfter.all - filesBefore.all;
    const layerData = filesAfter.layers - filesBefore.layers;
    const sum = sharedImages.list().filter((i) => i.name.includes('/child:')).reduce((s, i) => s + i.size, 0);
    console.log(
      `d) hafen: 10 images on a 50 MB base: store ${mb(all - before)} on disk (base image alone ${mb(withBase - before)}; ` +
        `the 10 images' sizes add up to ${mb(sum)}): each layer once, unpacked (an uncompressed tar is kept as a skeleton of its headers)`,
    );
    console.log(`d) hafen: counted as \`docker system df\` counts (files, no directory sizes): layer data ${mb(layerData)}, with metadata ${mb(files)}`);
    if (withDocker) {
      const df = () => docker('system', 'df', '--format', '{{.Type}} {{.Size}}').split('\n').find((l) => l.startsWith('Images'))?.slice('Images '.length);
      const dfBefore = df();
      docker('build', '-q', '-t', `${PREFIX}/base:1`, baseCtx);
      dockerTags.push(`${PREFIX}/base:1`);
      for (let i = 0; i < 10; i++) {
        docker('build', '-q', '-t', `${PREFIX}/child:${i}`, path.join(work, `child${i}`));
        dockerTags.push(`${PREFIX}/child:${i}`);
      }
      const dfAfter = df();
      // `docker system df` prints sizes as 1.2GB / 52.4MB (decimal units).
      const bytes = (s?: string) => {
        const m = /^([\d.]+)\s*([kMGT]?B)$/.exec(s ?? '');
        return m ? Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 } as Record<string, number>)[m[2]!]! : NaN;
      };
      // Exactly: each image's Size is the sum of its layers, and the children share only the base.
      const sizeOf = (tag: string) => Number(docker('image', 'inspect', '--format', '{{.Size}}', tag).trim());
      const baseSize = sizeOf(`${PREFIX}/base:1`);
      let dockerDelta = baseSize - sizeOf(BASE);
      for (let i = 0; i < 10; i++) dockerDelta += sizeOf(`${PREFIX}/child:${i}`) - baseSize;
      console.log(`d) docker: from the images' sizes (docker image inspect), its new layers hold ${mb(dockerDelta)}; \`docker system df\` said +${mb(bytes(dfAfter) - bytes(dfBefore))}`);
      console.log(`d) docker: the daemon's images went from ${dfBefore} to ${dfAfter} (\`docker system df\`; it keeps unpacked layers, no blobs)`);
      console.log(
        `d) hafen / docker disk for the 10 images, layer data counted alike: ${(layerData / dockerDelta).toFixed(3)}; ` +
          `with hafen's metadata: ${(files / dockerDelta).toFixed(3)}; du of the whole store, directories included: ${((all - before) / dockerDelta).toFixed(3)}`,
      );
    }
  } finally {
    if (dockerTags.length) spawnSync('docker', ['rmi', '-f', ...dockerTags], { stdio: 'ignore' });
    if (dockerBuilt.length) spawnSync('docker', ['rmi', '-f', ...new Set(dockerBuilt)], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
