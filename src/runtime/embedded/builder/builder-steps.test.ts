import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTarEntries } from '../../../testing/layer-tar.js';
import { requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { openStore, type Store, type StoredImage } from '../store/index.js';
import { build, type BuildOptions } from './builder.js';
import { LauncherSandbox } from './launcher-sandbox.js';

/** Every entry of every layer from `from` on: `name mode uid:gid [-> target] [= content]`, sorted per layer. */
async function describeLayers(store: Store, image: StoredImage, from = 0): Promise<string[][]> {
  const out: string[][] = [];
  for (const layer of image.manifest.layers.slice(from)) {
    const entries = await readTarEntries(store.blobs.open(layer.digest));
    out.push(
      entries
        .map(({ header: h, body }) => {
          const mode = (h.mode ?? 0).toString(8).padStart(4, '0');
          const content = h.type === 'file' && body.length > 0 && body.length < 100 ? ` = ${body.toString().trim()}` : '';
          const link = h.linkname ? ` -> ${h.linkname}` : '';
          return `${h.name} ${mode} ${h.uid}:${h.gid}${link}${content}`;
        })
        .sort(),
    );
  }
  return out;
}

describe.skipIf(unmet(requireRoot(), requireOverlay()))('builder steps', () => {
  let root: string;
  let ctx: string;
  let store: Store;
  const sandbox = new LauncherSandbox();

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-steps-root-'));
    ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-steps-ctx-'));
    fs.chmodSync(ctx, 0o755);
    store = openStore(root);
  });
  afterEach(() => {
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(ctx, { recursive: true, force: true });
  });

  const write = (files: Record<string, string>) => {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(ctx, name)), { recursive: true });
      fs.writeFileSync(path.join(ctx, name), content);
    }
  };
  const run = (dockerfile: string, opts: Partial<BuildOptions> = {}) => {
    write({ Dockerfile: dockerfile });
    return build(store, { contextDir: ctx, sandbox, ...opts });
  };

  it('RUN: whiteouts for deletions, /tmp copied up as 1777, the USER and WORKDIR in effect, the host network', async () => {
    const { image } = await run(
      [
        'FROM host',
        'RUN mkdir /data && echo one > /data/a && echo two > /data/b && chown nobody /data',
        'RUN rm /data/a && echo tmp > /tmp/t',
        'USER nobody',
        'WORKDIR /data/sub',
        'RUN id -u > uid && id -g > gid && pwd > pwd && echo "$HOME" > home && getent hosts localhost > /dev/null && echo resolved > lo',
        'USER root',
        'RUN true',
      ].join('\n'),
    );
    expect(await describeLayers(store, image, 1)).toEqual([
      ['data/ 0755 65534:0', 'data/a 0644 0:0 = one', 'data/b 0644 0:0 = two'],
      ['data/ 0755 65534:0', 'data/.wh.a 0000 0:0', 'tmp/ 1777 0:0', 'tmp/t 0644 0:0 = tmp'],
      ['data/ 0755 65534:0', 'data/sub/ 0755 65534:65534'],
      [
        'data/ 0755 65534:0',
        'data/sub/ 0755 65534:65534',
        'data/sub/gid 0644 65534:65534 = 65534',
        'data/sub/home 0644 65534:65534 = /nonexistent',
        'data/sub/lo 0644 65534:65534 = resolved',
        'data/sub/pwd 0644 65534:65534 = /data/sub',
        'data/sub/uid 0644 65534:65534 = 65534',
      ],
    ]);
    // `RUN true` changed nothing: no layer, an empty_layer history entry.
    expect(image.config.history?.at(-1)).toMatchObject({ created_by: 'RUN /bin/sh -c true', empty_layer: true });
  });

  it('COPY: globs, --chown by name, --chmod, directories merged into existing ones, symlinks kept', async () => {
    write({ 'src/a.js': 'a', 'src/b.js': 'b', 'src/c.txt': 'c', 'conf/app.conf': 'conf' });
    fs.symlinkSync('a.js', path.join(ctx, 'src/link.js'));
    const { image } = await run(
      ['FROM host', 'COPY src/*.js /app/', 'COPY --chown=nobody:nogroup --chmod=600 conf /etc/', 'COPY --chown=65534 src/c.txt /tmp/'].join('\n'),
    );
    const mtimeless = await describeLayers(store, image, 1);
    expect(mtimeless).toEqual([
      ['app/ 0755 0:0', 'app/a.js 0644 0:0 = a', 'app/b.js 0644 0:0 = b', 'app/link.js 0644 0:0 = a'],
      ['etc/ 0755 0:0', 'etc/app.conf 0600 65534:65534 = conf'],
      ['tmp/ 1777 0:0', 'tmp/c.txt 0644 65534:65534 = c'],
    ]);
  });

  it('COPY: a destination inside the host directories is refused for host-based images', async () => {
    write({ tool: 'x' });
    await expect(run('FROM host\nCOPY tool /usr/local/bin/tool\n')).rejects.toThrow(/step 2\/2 .*\/usr comes read-only from the host/);
    await expect(run('FROM host\nCOPY tool /bin/tool\n')).rejects.toThrow(/\/usr comes read-only from the host/);
  });

  it('ADD: plain and xz tars are extracted, any other file is copied as is', async () => {
    fs.mkdirSync(path.join(ctx, 'tree'));
    fs.writeFileSync(path.join(ctx, 'tree/x'), 'x\n');
    execFileSync('tar', ['-cf', path.join(ctx, 'plain.tar'), '-C', path.join(ctx, 'tree'), 'x']);
    execFileSync('tar', ['-cJf', path.join(ctx, 'packed.tar.xz'), '-C', path.join(ctx, 'tree'), 'x']);
    write({ 'notes.gz': 'not really gzip' });
    const { image } = await run(['FROM scratch', 'ADD plain.tar /p/', 'ADD packed.tar.xz /q', 'ADD notes.gz /r/'].join('\n'));
    const names = (await describeLayers(store, image)).map((l) => l.map((e) => e.split(' ')[0]));
    expect(names).toEqual([['p/', 'p/x'], ['q/', 'q/x'], ['r/', 'r/notes.gz']]);
  });

  it('RUN with a heredoc script, and FROM an image built before', async () => {
    await run(['FROM host', 'RUN <<EOF', '#!/bin/sh', 'echo from-heredoc > /h.txt', 'EOF'].join('\n'), { tag: 'base' });
    const { image } = await run(['FROM base', 'RUN cat /h.txt > /again.txt'].join('\n'), { tag: 'child' });
    const layers = await describeLayers(store, image, 1);
    expect(layers).toEqual([['h.txt 0644 0:0 = from-heredoc'], ['again.txt 0644 0:0 = from-heredoc']]);
    expect(image.config.config.Labels?.['io.hafen.base']).toBe('host');
  });

  it('a cache entry whose layer went missing runs its step again (the unpacked layer is the only copy of its files)', async () => {
    write({ 'a.txt': 'a' });
    const first = await run('FROM scratch\nCOPY a.txt /a.txt\n');
    const chain = first.image.chainIds[0]!;
    const blob = first.image.manifest.layers[0]!.digest;
    expect(fs.existsSync(store.blobs.path(blob))).toBe(false); // kept as a skeleton over the layer's files
    store.layers.remove(chain);
    expect(store.blobs.has(blob)).toBe(false);
    const second = await run('FROM scratch\nCOPY a.txt /a.txt\n');
    expect(second.cachedSteps).toBe(0);
    expect(second.image.manifest.layers[0]!.digest).toBe(blob);
    expect(store.layers.has(chain)).toBe(true);
    expect(fs.readFileSync(path.join(store.layers.diffDir(chain), 'a.txt'), 'utf8')).toBe('a');
  });
});
