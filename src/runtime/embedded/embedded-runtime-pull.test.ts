/**
 * `image: docker-archive:PATH` and `image: oci:PATH` on the embedded runtime: pullImage imports
 * them under that exact reference, so hasImage sees them and a container created from the
 * reference runs the imported image; a registry reference the registry cannot give comes from the
 * local Docker engine when it has it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importBusyboxImage } from '../../testing/busybox-image.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../testing/requirements.js';
import { defaultContainerSpec } from '../spec-defaults.js';
import { EmbeddedRuntime } from './embedded-runtime.js';
import { saveDockerArchive, saveOciLayout } from './image-io/index.js';
import { openStore } from './store/index.js';

/** The test image's name, of this run only: the local-engine test loads it into the shared Docker engine. */
const BB = `hafen-test/bb-${process.pid}:1`;

const PROJECT = `pull${process.pid}`;

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox')))('EmbeddedRuntime.pullImage of archives', () => {
  let base: string;
  let archive: string;
  let layout: string;
  let imageId: string;
  let runtime: EmbeddedRuntime;
  let log: string[];

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-pull-'));
    const source = openStore(path.join(base, 'source'));
    await importBusyboxImage(source, BB);
    imageId = source.images.get(BB)!.manifest.config.digest;
    archive = path.join(base, 'bb.tar');
    layout = path.join(base, 'layout');
    await saveDockerArchive(source, BB, archive);
    saveOciLayout(source, BB, layout);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  beforeEach(() => {
    log = [];
    runtime = new EmbeddedRuntime({ root: fs.mkdtempSync(path.join(base, 'root-')), log: (line) => log.push(line) });
  });
  afterEach(async () => {
    await runtime.cleanupProject(PROJECT);
    await runtime.close();
    fs.rmSync(runtime.root, { recursive: true, force: true });
  });

  /** Runs `command` in a container of `image`, returning its output lines. */
  async function runIn(image: string, command: string[]): Promise<string[]> {
    const spec = defaultContainerSpec(PROJECT, 'c', { image, command });
    await runtime.createContainer(spec);
    await runtime.startContainer(spec.name);
    expect((await runtime.waitContainer(spec.name)).exitCode).toBe(0);
    const lines: string[] = [];
    for await (const line of runtime.logs(spec.name)) lines.push(line.text);
    await runtime.removeContainer(spec.name);
    return lines;
  }

  it.each([
    ['docker-archive', () => `docker-archive:${archive}`],
    ['docker-archive, one image picked by name', () => `docker-archive:${archive}:${BB}`],
    ['oci', () => `oci:${layout}`],
    ['oci, one entry picked by ref name', () => `oci:${layout}:1`],
  ])('imports %s so the reference resolves and runs', async (_kind, ref) => {
    const image = ref();
    expect(await runtime.hasImage(image)).toBe(false);
    const progress: string[] = [];
    await runtime.pullImage(image, (line) => progress.push(line));
    expect(await runtime.hasImage(image)).toBe(true);
    expect(await runtime.hasImage(BB)).toBe(true); // its own name comes along, as with docker load
    expect((await runtime.listImages()).find((i) => i.name === BB)?.id).toBe(imageId);
    expect(progress).toEqual([`imported ${imageId.slice(0, 19)}`]);
    expect(log).toEqual([`Importing image ${image}`, `Imported image ${image} (${imageId})`]);
    expect(await runIn(image, ['sh', '-c', 'echo from $0', 'the archive'])).toEqual(['from the archive']);
  });

  it('importing again changes nothing but the tags', async () => {
    const image = `docker-archive:${archive}`;
    await runtime.pullImage(image);
    await runtime.pullImage(image);
    expect((await runtime.listImages()).map((i) => i.id)).toEqual([imageId, imageId]);
  });

  it('does not read an unchanged archive again; a touched archive, or an untagged image, is imported again', async () => {
    const image = `docker-archive:${archive}`;
    const progress: string[] = [];
    const pull = async (): Promise<string> => {
      await runtime.pullImage(image, (line) => progress.push(line));
      return progress.at(-1)!;
    };
    expect(await pull()).toBe(`imported ${imageId.slice(0, 19)}`);
    expect(await pull()).toBe(`imported ${imageId.slice(0, 19)} (unchanged since its last import)`);
    expect(log.filter((l) => l.startsWith('Importing'))).toHaveLength(1);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(archive, later, later);
    expect(await pull()).toBe(`imported ${imageId.slice(0, 19)}`);
    await runtime.removeImage(image);
    expect(await pull()).toBe(`imported ${imageId.slice(0, 19)}`);
    expect(await runtime.hasImage(image)).toBe(true);
    expect(log.filter((l) => l.startsWith('Importing'))).toHaveLength(3);
  });

  it('names the archive when it is missing or not an archive', async () => {
    await expect(runtime.pullImage(`docker-archive:${base}/missing.tar`)).rejects.toThrow(`docker-archive ${base}/missing.tar: cannot read it`);
    fs.writeFileSync(path.join(base, 'junk.tar'), 'not a tar at all'.repeat(64));
    await expect(runtime.pullImage(`docker-archive:${base}/junk.tar`)).rejects.toThrow(`docker-archive ${base}/junk.tar:`);
    await expect(runtime.pullImage(`oci:${base}`)).rejects.toThrow(`oci ${base}: not an OCI image layout`);
    await expect(runtime.pullImage(`docker-archive:${archive}:other:v2`)).rejects.toThrow(`has no image tagged other:v2 (it has: ${BB})`);
    expect(log.at(-1)).toMatch(/^Importing image docker-archive:.*failed: /);
  });

  it('names the image when neither a registry nor the local Docker engine has it', async () => {
    await expect(runtime.pullImage(`hafen-test/nowhere-${process.pid}:1`)).rejects.toThrow(`image hafen-test/nowhere-${process.pid}:1`);
  });

  it.skipIf(unmet(requireCommand('docker')))('takes an image the registry cannot give from the local Docker engine', async () => {
    const name = `hafen-test/local-${process.pid}:1`;
    const loaded = spawnSync('docker', ['load', '-i', archive], { encoding: 'utf8' });
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(spawnSync('docker', ['tag', BB, name]).status).toBe(0);
    try {
      const progress: string[] = [];
      await runtime.pullImage(name, (line) => progress.push(line));
      expect(progress.join('\n')).toContain('from the local Docker engine');
      expect(await runtime.hasImage(name)).toBe(true);
      expect((await runtime.listImages()).find((i) => i.name === name)?.id).toBe(imageId);
    } finally {
      spawnSync('docker', ['rmi', name, BB]);
    }
  });
});
