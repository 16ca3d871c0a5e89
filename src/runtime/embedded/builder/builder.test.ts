import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTarEntries } from '../../../testing/layer-tar.js';
import { requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { DockerfileError } from '../build/index.js';
import type { Digest } from '../layers/index.js';
import { openStore, type Store, type StoredImage } from '../store/index.js';
import { BuildError } from './build-error.js';
import { build, type BuilderEvent, type BuildOptions } from './builder.js';
import { HOST_BASE_LABEL } from './host-image.js';
import { LauncherSandbox } from './launcher-sandbox.js';

/** The entry names of a layer blob, directories with a trailing `/`, sorted. */
async function layerEntries(store: Store, digest: Digest): Promise<string[]> {
  const entries = await readTarEntries(store.blobs.open(digest));
  return entries.map(({ header: h }) => (h.type === 'directory' ? `${h.name.replace(/\/$/, '')}/` : h.name)).sort();
}

/** The entries of every layer of an image, base first. */
async function imageLayers(store: Store, image: StoredImage): Promise<string[][]> {
  return Promise.all(image.manifest.layers.map((l) => layerEntries(store, l.digest)));
}

/** A file's content in a layer blob. */
async function layerFile(store: Store, digest: Digest, name: string): Promise<string | undefined> {
  const entries = await readTarEntries(store.blobs.open(digest));
  return entries.find((e) => e.header.name === name)?.body.toString();
}

/** The error a promise rejects with (the test fails if it resolves). */
async function failure<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected the build to fail');
}

/** What is in the store: numbers of blobs, layers, cache entries, and the leftovers in its tmp folder. */
function storeCounts(store: Store) {
  return { blobs: store.blobs.list().length, layers: store.layers.list().length, cache: store.cache.list().length, tmp: fs.readdirSync(store.paths.tmp) };
}

describe.skipIf(unmet(requireRoot(), requireOverlay()))('builder', () => {
  let root: string;
  let ctx: string;
  let store: Store;
  let events: BuilderEvent[];
  const sandbox = new LauncherSandbox();

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-root-'));
    ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-ctx-'));
    store = openStore(root);
    events = [];
  });
  afterEach(() => {
    // Nothing of a build stays mounted, in this or any other mount namespace.
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(ctx, { recursive: true, force: true });
  });

  const write = (files: Record<string, string>) => {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(ctx, name)), { recursive: true });
      fs.writeFileSync(path.join(ctx, name), content);
    }
  };
  const run = (opts: Partial<BuildOptions> = {}) => {
    events = [];
    return build(store, { contextDir: ctx, tag: 'app', sandbox, onEvent: (e) => events.push(e), ...opts });
  };
  /** `[n/m] TEXT (CACHED)` for each step, as the CLI prints them. */
  const steps = () =>
    events.flatMap((e) => (e.kind === 'step-start' ? [`[${e.stageStep}/${e.stageSteps}] ${e.text}${e.cached ? ' CACHED' : ''}`] : []));
  const executed = () => events.filter((e) => e.kind === 'step-start' && !e.cached && !e.text.startsWith('FROM')).map((e) => (e as { text: string }).text);

  const HOST_DOCKERFILE = [
    'FROM host',
    'COPY app.txt /app/',
    "RUN sh -c 'echo built > /out.txt'",
    'ENV GREETING=hello',
    'WORKDIR /work',
    'CMD ["cat", "/out.txt"]',
  ].join('\n');

  it('builds FROM host: one layer per file-changing step holding exactly its files, the rest in the config', async () => {
    write({ Dockerfile: HOST_DOCKERFILE, 'app.txt': 'app\n' });
    const { image } = await run();
    const [base, copy, runLayer, workdir, ...more] = await imageLayers(store, image);
    expect(more).toEqual([]);
    expect(base).toContain('etc/passwd');
    // Mount points and placeholders only: no file of the host's, nothing private.
    expect(base!.filter((n) => /^(usr|lib\w*)\/./.test(n) || /^(home|root)\/./.test(n) || n === 'etc/shadow')).toEqual([]);
    expect(base).toEqual(expect.arrayContaining(['etc/group', 'etc/hosts', 'etc/nsswitch.conf', 'root/', 'tmp/', 'usr/']));
    expect(copy).toEqual(['app/', 'app/app.txt']);
    expect(runLayer).toEqual(['out.txt']);
    expect(workdir).toEqual(['work/']);
    expect(await layerFile(store, image.manifest.layers[2]!.digest, 'out.txt')).toBe('built\n');

    const { config } = image;
    expect(config.config.Labels?.[HOST_BASE_LABEL]).toBe('host');
    expect(config.config.Env).toContain('GREETING=hello');
    expect(config.config.Env?.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(config.config.WorkingDir).toBe('/work');
    expect(config.config.Cmd).toEqual(['cat', '/out.txt']);
    expect(config.rootfs.diff_ids).toHaveLength(4);
    expect(config.history?.map((h) => Boolean(h.empty_layer))).toEqual([false, false, false, true, false, true]);
    expect(store.images.resolve('app')).toBe(image.manifestDigest);
    expect(steps()).toEqual(['[1/6] FROM host', '[2/6] COPY app.txt /app/', "[3/6] RUN sh -c 'echo built > /out.txt'", '[4/6] ENV GREETING=hello', '[5/6] WORKDIR /work', '[6/6] CMD ["cat", "/out.txt"]']);
    expect(events.filter((e) => e.kind === 'step-done')).toHaveLength(6);
  });

  it('rebuilds from the cache alone, making nothing new in the store', async () => {
    write({ Dockerfile: HOST_DOCKERFILE, 'app.txt': 'app\n' });
    const first = await run();
    const before = storeCounts(store);
    const second = await run();
    expect(steps().slice(1).every((s) => s.endsWith(' CACHED'))).toBe(true);
    expect(second.executedSteps).toBe(0);
    expect(second.image.manifestDigest).toBe(first.image.manifestDigest);
    expect(storeCounts(store)).toEqual(before);
    expect(before.tmp).toEqual([]);
  });

  it('re-runs only from the first step whose input changed', async () => {
    write({
      Dockerfile: ['FROM host', 'COPY a.txt /a.txt', 'RUN cat /a.txt > /a-copy', 'COPY b.txt /b.txt', 'RUN cat /b.txt > /b-copy'].join('\n'),
      'a.txt': 'a\n',
      'b.txt': 'b1\n',
    });
    await run();
    write({ 'b.txt': 'b2\n' });
    const { image } = await run();
    expect(executed()).toEqual(['COPY b.txt /b.txt', 'RUN cat /b.txt > /b-copy']);
    expect(await layerFile(store, image.manifest.layers.at(-1)!.digest, 'b-copy')).toBe('b2\n');

    await run({ noCache: true });
    expect(executed()).toEqual(['COPY a.txt /a.txt', 'RUN cat /a.txt > /a-copy', 'COPY b.txt /b.txt', 'RUN cat /b.txt > /b-copy']);
  });

  it('leaves .dockerignored files out of the image and out of the cache key', async () => {
    write({
      Dockerfile: 'FROM scratch\nCOPY . /src/\n',
      '.dockerignore': 'secret.txt\nlogs\n!logs/keep.log\n',
      'main.txt': 'main\n',
      'secret.txt': 'token\n',
      'logs/debug.log': 'noise\n',
      'logs/keep.log': 'kept\n',
    });
    const { image } = await run();
    const [layer] = await imageLayers(store, image);
    expect(layer).toEqual(['src/', 'src/.dockerignore', 'src/Dockerfile', 'src/logs/', 'src/logs/keep.log', 'src/main.txt']);
    write({ 'secret.txt': 'another token\n', 'logs/debug.log': 'more noise\n' });
    await run();
    expect(executed()).toEqual([]);
  });

  it('builds multi-stage: a scratch image gets only what COPY --from takes', async () => {
    write({
      Dockerfile: ['FROM host AS build', 'RUN mkdir -p /dist && echo binary > /dist/app && echo junk > /junk', 'FROM scratch', 'COPY --from=build /dist/app /app'].join('\n'),
    });
    const { image } = await run();
    expect(await imageLayers(store, image)).toEqual([['app']]);
    expect(await layerFile(store, image.manifest.layers[0]!.digest, 'app')).toBe('binary\n');
    expect(image.config.config.Labels?.[HOST_BASE_LABEL]).toBeUndefined();
    expect(steps()).toEqual(['[1/2] FROM host AS build', '[2/2] RUN mkdir -p /dist && echo binary > /dist/app && echo junk > /junk', '[1/2] FROM scratch', '[2/2] COPY --from=build /dist/app /app']);
  });

  it('reports a failing RUN by step, line, exit code and output, and keeps nothing of it', async () => {
    write({
      Dockerfile: ['FROM host', 'COPY app.txt /app.txt', '', 'RUN echo starting && for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do echo line $i; done && echo oops >&2 && exit 3', 'CMD ["true"]'].join('\n'),
      'app.txt': 'app\n',
    });
    await expect(run()).rejects.toThrow(BuildError);
    const before = storeCounts(store);
    const err = await failure<BuildError>(run());
    expect(err).toBeInstanceOf(BuildError);
    expect(err.code).toBe('E_BUILD');
    expect(err.message).toContain('step 3/4');
    expect(err.message).toContain('Dockerfile:4');
    expect(err.message).toContain('exited with code 3');
    expect(err.commandExitCode).toBe(3);
    expect(err.command?.at(-1)).toContain('echo oops');
    expect(err.outputTail).toHaveLength(20);
    expect(err.outputTail).toContain('oops');
    expect(err.outputTail).toContain('line 22');
    expect(err.outputTail).not.toContain('starting');
    expect(storeCounts(store)).toEqual(before); // no layer, blob or cache entry of the failed step, no upper dir
    expect(before.tmp).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect(events.filter((e) => e.kind === 'output').length).toBeGreaterThanOrEqual(24);
  });

  it('extracts a tar.gz that ADD names', async () => {
    fs.mkdirSync(path.join(ctx, 'pkg/bin'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'pkg/bin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
    execFileSync('tar', ['-czf', path.join(ctx, 'pkg.tar.gz'), '-C', path.join(ctx, 'pkg'), '.']);
    fs.rmSync(path.join(ctx, 'pkg'), { recursive: true });
    write({ Dockerfile: 'FROM scratch\nADD pkg.tar.gz /opt/pkg\n' });
    const { image } = await run();
    const [layer] = await imageLayers(store, image);
    expect(layer).toEqual(['opt/', 'opt/pkg/', 'opt/pkg/bin/', 'opt/pkg/bin/tool']);
  });

  it('refuses a COPY whose source leaves the context, by path or through a symlink', async () => {
    fs.writeFileSync(path.join(path.dirname(ctx), 'hafen-outside.txt'), 'outside\n');
    try {
      write({ Dockerfile: 'FROM scratch\nCOPY ../hafen-outside.txt /x\n' });
      const byPath = await failure(run());
      expect(byPath).toBeInstanceOf(DockerfileError);
      expect(byPath.message).toMatch(/Dockerfile:2: .*outside the build context/);

      fs.symlinkSync('../hafen-outside.txt', path.join(ctx, 'link'));
      write({ Dockerfile: 'FROM scratch\nCOPY link/ /x\n' });
      const byLink = await failure(run());
      expect(byLink).toBeInstanceOf(BuildError);
      expect(byLink.message).toMatch(/step 2\/2 .*outside the build context/);
      expect(store.layers.list()).toEqual([]);
    } finally {
      fs.rmSync(path.join(path.dirname(ctx), 'hafen-outside.txt'), { force: true });
    }
  });

  it('says how to get a base image that is not in the store', async () => {
    write({ Dockerfile: 'FROM busybox:1.36\nRUN true\n' });
    const err = await failure(run());
    expect(err.message).toMatch(/Dockerfile:1: .*busybox:1\.36.*not in hafen's image store.*stack pull.*docker-archive:/);
  });
});
