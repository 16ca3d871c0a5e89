/**
 * Snapshot archives across runtimes (issue 20), through the built CLI, the real dockerd and the
 * embedded runtime's state roots:
 * - an embedded snapshot taken twice (so its volume image has two layers: the first snapshot's and
 *   a delta with whiteouts) is saved; the Docker runtime loads it (`stack image load`) and starts
 *   seeded from it, and so does a fresh embedded state root;
 * - a Docker snapshot is saved; a fresh embedded state root loads it (`stack image load`), has the
 *   snapshot back (its volume from the image's /from tree), starts on it and resets onto it.
 * The data read back is exactly the snapshot's, nothing written after it. Leak-checked on both runtimes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn, stackOn, type CliTarget, type TargetProjects } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { volumeStack } from './snapshot-stack.js';
import { stackLeftovers } from './stack-leftovers.js';

/** Image names of this file's runs, so a load tags nothing another test uses. */
const run = randomBytes(4).toString('hex');
const EMBEDDED_IMAGE = `hafen-snapacross/embedded:${run}`;
const DOCKER_IMAGE = `hafen-snapacross/docker:${run}`;

/** Every entry under /state and /data (files with their content), and whether a file of the image is there. */
const LIST = 'for f in $(find /state /data | sort); do if [ -f $f ]; then echo "$f=$(cat $f)"; else echo "$f/"; fi; done; test -e /bin/uname && echo uname; true';

const targets = cliTargets('10.206.0.0/16:24');
const embedded = targets.find((t) => t.name === 'embedded')!;
const docker = targets.find((t) => t.name === 'docker')!;

/** `stack` on a project of `projects` on `target` (on state root `root` when given), expecting exit 0. */
function ok(target: CliTarget, projects: TargetProjects, p: string, args: string[], root?: string) {
  const r = stackOn(target, projects.dir, projects.file, p, args, root ? { HAFEN_ROOT: root } : undefined);
  expect(r.code, `${target.name}: ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

describe.skipIf(unmet(...runtimeNamed('embedded').requirements, ...runtimeNamed('docker').requirements))('snapshot archives across the embedded and Docker runtimes', () => {
  const onEmbedded = projectsOn(embedded, { tmpPrefix: 'snapacross', stack: () => volumeStack(EMBEDDED_IMAGE) });
  const onDocker = projectsOn(docker, { tmpPrefix: 'snapacross', stack: () => volumeStack(DOCKER_IMAGE) });
  beforeAll(() => {
    const store = openStore(embedded.stateRoot());
    store.images.tag(EMBEDDED_IMAGE, store.images.resolve('busybox:latest')!);
    execFileSync('docker', ['tag', onDocker.image, DOCKER_IMAGE]);
  });
  afterAll(() => {
    for (const tag of [EMBEDDED_IMAGE, DOCKER_IMAGE]) spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
  });

  it('starts on Docker, and on a fresh state root, from an embedded snapshot whose volume has two layers', () => {
    const p = onEmbedded.newProject('e2d');
    const fresh = path.join(onEmbedded.dir, `fresh-${p}`);
    const file = path.join(onEmbedded.dir, `${p}.tar`);
    const tags = [`hafen-snapshot/${p}/${p}-app-1:second`, `hafen-snapshot/${p}/volume-${p}-data:second`];
    const sh = (script: string, root?: string) => ok(embedded, onEmbedded, p, ['exec', '-T', 'app', 'sh', '-c', script], root).stdout;
    try {
      ok(embedded, onEmbedded, p, ['up', '-d']);
      sh('mkdir -p /state /data/d /data/o && echo one > /state/a && echo 1 > /data/v && echo gone > /data/gone && echo deep > /data/d/x && echo old > /data/o/old && echo keep > /data/keep');
      ok(embedded, onEmbedded, p, ['snapshot', 'first']);
      // A delta over the first: a changed file, a deleted one, a folder become a file, a folder emptied and filled again, a new one.
      sh('echo two > /state/a && echo 2 > /data/v && rm /data/gone && rm -r /data/d && echo file > /data/d && rm /data/o/old && echo new > /data/o/new && echo new > /data/new && rm /bin/uname');
      const seeded = sh(LIST);
      expect(seeded).toBe('/data/\n/data/d=file\n/data/keep=keep\n/data/new=new\n/data/o/\n/data/o/new=new\n/data/v=2\n/state/\n/state/a=two\n');
      const taken = ok(embedded, onEmbedded, p, ['snapshot', 'second']);
      expect(taken.stderr).not.toContain('capturing all of it');
      sh('echo later > /state/a && echo later > /data/v && echo later > /data/w');
      ok(embedded, onEmbedded, p, ['image', 'save', '--snapshot', 'second', '-o', file]);
      ok(embedded, onEmbedded, p, ['down', '-v', '-t', '1']);
      expect(embedded.leftovers(p)).toEqual([]);

      // The Docker runtime: `stack image load`, then up on the snapshot (its volume copy made from both layers).
      try {
        ok(docker, onEmbedded, p, ['image', 'load', file]);
        expect(execFileSync('docker', ['image', 'inspect', '--format', '{{len .RootFS.Layers}}', tags[1]!], { encoding: 'utf8' }).trim()).toBe('2');
        expect(ok(docker, onEmbedded, p, ['snapshot', 'ls', '-q']).stdout.trim()).toBe('second');
        ok(docker, onEmbedded, p, ['up', '-d', '--from-snapshot', 'second']);
        expect(ok(docker, onEmbedded, p, ['exec', '-T', 'app', 'sh', '-c', LIST]).stdout).toBe(seeded);
        ok(docker, onEmbedded, p, ['down', '-v', '-t', '1']);
        expect(docker.leftovers(p)).toEqual([]);
      } finally {
        stackOn(docker, onEmbedded.dir, onEmbedded.file, p, ['down', '-v', '-t', '1']);
        for (const tag of tags) spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
      }

      // A fresh embedded state root: the snapshot back, both volume layers under the volume.
      expect(ok(embedded, onEmbedded, p, ['image', 'load', file], fresh).stderr).toContain(`Restored snapshot second of project ${p} (1 containers, 1 volumes)`);
      ok(embedded, onEmbedded, p, ['up', '-d', '--from-snapshot', 'second'], fresh);
      expect(sh(LIST, fresh)).toBe(seeded);
      ok(embedded, onEmbedded, p, ['down', '-v', '-t', '1'], fresh);
      expect(stackLeftovers(p, fresh)).toEqual([]);
    } finally {
      stackOn(embedded, onEmbedded.dir, onEmbedded.file, p, ['down', '-v', '-t', '1'], { HAFEN_ROOT: fresh });
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 300_000);

  it('restores a Docker-saved snapshot on a fresh embedded state root, which starts and resets on it', () => {
    const p = onDocker.newProject('d2e');
    const fresh = path.join(onDocker.dir, `fresh-${p}`);
    const file = path.join(onDocker.dir, `${p}.tar`);
    try {
      ok(docker, onDocker, p, ['up', '-d']);
      ok(docker, onDocker, p, ['exec', '-T', 'app', 'sh', '-c', 'mkdir -p /state/d /data/e && echo one > /state/a && echo deep > /state/d/x && echo vol > /data/v && rm /bin/uname']);
      const seeded = ok(docker, onDocker, p, ['exec', '-T', 'app', 'sh', '-c', LIST]).stdout;
      expect(seeded).toBe('/data/\n/data/e/\n/data/v=vol\n/state/\n/state/a=one\n/state/d/\n/state/d/x=deep\n');
      ok(docker, onDocker, p, ['snapshot', 'seed']);
      ok(docker, onDocker, p, ['exec', '-T', 'app', 'sh', '-c', 'echo later > /state/a && echo later > /data/v && echo later > /data/w']);
      ok(docker, onDocker, p, ['image', 'save', '--snapshot', 'seed', '-o', file]);
      // The archive holds the image the container was made from, under its name.
      expect(JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })).flatMap((m: { RepoTags?: string[] }) => m.RepoTags ?? [])).toContain(DOCKER_IMAGE);
      ok(docker, onDocker, p, ['down', '-v', '-t', '1']);
      expect(docker.leftovers(p)).toEqual([]);

      const load = ok(embedded, onDocker, p, ['image', 'load', file], fresh);
      expect(load.stderr).toContain(`Restored snapshot seed of project ${p} (1 containers, 1 volumes)`);
      expect(ok(embedded, onDocker, p, ['snapshot', 'ls', '-q'], fresh).stdout.trim()).toBe('seed');
      ok(embedded, onDocker, p, ['up', '-d', '--from-snapshot', 'seed'], fresh);
      const sh = (script: string) => ok(embedded, onDocker, p, ['exec', '-T', 'app', 'sh', '-c', script], fresh).stdout;
      expect(sh(LIST)).toBe(seeded);
      sh('echo again > /state/a && echo again > /data/v && rm -r /state/d');
      ok(embedded, onDocker, p, ['reset', 'seed'], fresh);
      expect(sh(LIST)).toBe(seeded);
      ok(embedded, onDocker, p, ['down', '-v', '-t', '1'], fresh);
      expect(stackLeftovers(p, fresh)).toEqual([]);
      expect(fs.existsSync(path.join(fresh, 'snapshots', p))).toBe(false);
    } finally {
      stackOn(embedded, onDocker.dir, onDocker.file, p, ['down', '-v', '-t', '1'], { HAFEN_ROOT: fresh });
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 300_000);
});
