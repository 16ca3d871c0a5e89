/**
 * `stack image save` and `stack image load` against the real Docker engine: an image hafen built
 * runs the same under `docker run` as under hafen, and a `docker save` archive goes through hafen
 * and back out with every blob byte-identical.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRuntime } from '../src/runtime/embedded/embedded-runtime.js';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { defaultContainerSpec } from '../src/runtime/spec-defaults.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { requireCommand, requireOverlay, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { stack } from './cli.js';

/** A Docker engine that answers (`docker info`), not just the client. */
const requireDockerd: Requirement = {
  name: 'dockerd',
  check: () => {
    const r = spawnSync('docker', ['info'], { stdio: 'pipe', encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? undefined : `docker info fails: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  },
};

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe' });
const sha256File = (file: string) => `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;

/** What a docker-archive holds: its image id and each layer's DiffID, hashed from the files themselves. */
function archiveDigests(tar: string): { config: string; layers: string[]; repoTags: string[] } {
  const dir = fs.mkdtempSync(`${tar}.x-`);
  try {
    execFileSync('tar', ['-xf', tar, '-C', dir]);
    const [entry] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[]; RepoTags: string[] }[];
    return { config: sha256File(path.join(dir, entry!.Config)), layers: entry!.Layers.map((l) => sha256File(path.join(dir, l))), repoTags: entry!.RepoTags };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireCommand('docker'), requireDockerd))('stack image save / load with Docker', () => {
  const id = `${process.pid}`;
  const appImage = `hafen-e2e-${id}/app:1`;
  const baseImage = `hafen-e2e-${id}/busybox:latest`;
  const dockerImages = [appImage, `hafen-e2e-${id}/docker-bb:1`];
  let dir: string;
  let root: string;
  let env: Record<string, string>;
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-image-io-'));
    root = path.join(dir, 'state');
    env = { HAFEN_ROOT: root };
    await importBusyboxImage(openStore(root), baseImage);
    fs.mkdirSync(path.join(dir, 'app'));
    write('stack.yaml', `name: imageio\nservices:\n  app:\n    image: ${appImage}\n    build: ./app\n`);
    write(
      'app/Dockerfile',
      [
        `FROM ${baseImage} AS build`,
        'WORKDIR /src',
        'COPY greeting.txt .',
        'RUN tr a-z A-Z < greeting.txt > shout.txt && mkdir -p out && mv shout.txt out/',
        `FROM ${baseImage}`,
        'COPY --from=build /src/out/ /app/',
        'RUN rm /etc/group && echo made-in-hafen > /etc/motd',
        'ENV WHO=docker',
        'WORKDIR /app',
        'CMD ["sh", "-c", "cat shout.txt; echo hello $WHO from $(pwd); ls /app; cat /etc/motd; test -e /etc/group || echo no group"]',
        '',
      ].join('\n'),
    );
    write('app/greeting.txt', 'hello from a multi-stage build\n');
  }, 120_000);

  afterAll(() => {
    spawnSync('docker', ['rmi', '-f', ...dockerImages], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('saves a multi-stage build that docker load and docker run take, with the output hafen gives', async () => {
    const built = stack(['build'], { cwd: dir, env });
    expect(built.code, built.stderr).toBe(0);
    const tar = path.join(dir, 'app.tar');
    const saved = stack(['image', 'save', appImage, '-o', tar], { env });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain(`Saved ${appImage} to ${tar}`);

    expect(docker('load', '-i', tar)).toContain(`Loaded image: ${appImage}`);
    const inDocker = docker('run', '--rm', '--network', 'none', appImage);

    const runtime = new EmbeddedRuntime({ root });
    const spec = defaultContainerSpec('imageio', 'app', { image: appImage });
    let inHafen = '';
    try {
      await runtime.createContainer(spec);
      await runtime.startContainer(spec.name);
      expect((await runtime.waitContainer(spec.name)).exitCode).toBe(0);
      for await (const line of runtime.logs(spec.name)) inHafen += `${line.text}\n`;
    } finally {
      await runtime.cleanupProject('imageio');
      await runtime.close();
    }
    expect(inHafen).toBe('HELLO FROM A MULTI-STAGE BUILD\nhello docker from /app\nshout.txt\nmade-in-hafen\nno group\n');
    expect(inDocker).toBe(inHafen);
    // Docker's image id is the config digest hafen wrote.
    expect(docker('image', 'inspect', '--format', '{{.Id}}', appImage).trim()).toBe(archiveDigests(tar).config);
  }, 120_000);

  it('loads a `docker save` archive and saves it back with the same config and layer blobs', () => {
    const dockerBb = `hafen-e2e-${id}/docker-bb:1`;
    const rootfs = path.join(dir, 'bb-rootfs');
    makeBusyboxRootfs(rootfs);
    execFileSync('tar', ['-C', rootfs, '-cf', path.join(dir, 'bb-rootfs.tar'), '.']);
    docker('import', '--change', 'ENV PATH=/bin', '--change', 'CMD ["sh"]', path.join(dir, 'bb-rootfs.tar'), dockerBb);
    const fromDocker = path.join(dir, 'docker-bb.tar');
    docker('save', '-o', fromDocker, dockerBb);

    const loaded = stack(['image', 'load', fromDocker], { env });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toBe(`Loaded image: ${dockerBb}\n`);
    const again = path.join(dir, 'again.tar');
    const saved = stack(['image', 'save', dockerBb, '-o', again], { env });
    expect(saved.code, saved.stderr).toBe(0);

    const original = archiveDigests(fromDocker);
    expect(original.layers).toHaveLength(1);
    expect(archiveDigests(again)).toEqual(original);
    // And Docker takes it back as the very image it had.
    expect(docker('load', '-i', again)).toContain(`Loaded image: ${dockerBb}`);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', dockerBb).trim()).toBe(original.config);
  }, 120_000);

  it('round-trips through an OCI layout into another store', () => {
    const layout = path.join(dir, 'layout');
    const saved = stack(['image', 'save', '--format', 'oci', appImage, '-o', layout], { env });
    expect(saved.code, saved.stderr).toBe(0);
    expect(fs.existsSync(path.join(layout, 'oci-layout'))).toBe(true);
    const other = { HAFEN_ROOT: path.join(dir, 'other') };
    const loaded = stack(['image', 'load', layout], { env: other });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toBe(`Loaded image: ${appImage}\n`);
    const ids = (e: Record<string, string>) => (JSON.parse(stack(['image', 'ls', '--json'], { env: e }).stdout) as { name: string; id: string }[]).find((i) => i.name === appImage)?.id;
    expect(ids(other)).toBe(ids(env));
    // --tag adds a name; docker-archive:PATH:NAME picks an image of an archive.
    const tagged = stack(['image', 'load', '--tag', 'copy:v2', `docker-archive:${path.join(dir, 'app.tar')}:${appImage}`], { env: other });
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout.split('\n').filter(Boolean).sort()).toEqual(['Loaded image: copy:v2', `Loaded image: ${appImage}`]);
  });

  it('names the image or file when it cannot', () => {
    const missingImage = stack(['image', 'save', 'no-such-image:1', '-o', path.join(dir, 'x.tar')], { env });
    expect(missingImage.code).toBe(1);
    expect(missingImage.stderr).toContain('image no-such-image:1: no such image in the store');
    const noFolder = stack(['image', 'save', appImage, '-o', path.join(dir, 'missing-dir', 'x.tar')], { env });
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toContain(`image ${appImage}: cannot write ${path.join(dir, 'missing-dir', 'x.tar')}`);
    const noOutput = stack(['image', 'save', appImage], { env });
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toContain(`stack image save ${appImage}: name the file to write with -o FILE`);
    const missingFile = stack(['image', 'load', path.join(dir, 'nothing.tar')], { env });
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain(`${path.join(dir, 'nothing.tar')} does not exist`);
    write('not-an-archive.tar', 'hello\n'.repeat(200));
    const junk = stack(['image', 'load', path.join(dir, 'not-an-archive.tar')], { env });
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain(`docker-archive ${path.join(dir, 'not-an-archive.tar')}:`);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
