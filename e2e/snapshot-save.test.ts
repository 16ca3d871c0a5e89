/**
 * `stack image save --snapshot` and `stack image load` on the embedded runtime (issue 20): a
 * service seeded in its root filesystem and in a named volume is snapshotted and saved as one
 * docker-archive; the real dockerd loads it (the snapshot's tags and labels are those the Docker
 * runtime's save writes) and the Docker runtime starts the stack seeded from it; a fresh state root (a machine that never had the image, the project or
 * the snapshot) loads it with `stack image load`, lists the snapshot, and `up --from-snapshot`
 * starts seeded: the data is exactly the snapshot's, nothing written after it. Leak-checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { volumeStack } from './snapshot-stack.js';
import { stackLeftovers } from './stack-leftovers.js';

/** The image name of this file's runs, so `docker load` of the archive tags nothing another test uses. */
const IMAGE = `hafen-snapsave/busybox:${randomBytes(4).toString('hex')}`;

/** Every regular file under /state and /data with its content, and whether a file of the image is there. */
const LIST = 'for f in $(find /state /data -type f | sort); do echo "$f=$(cat $f)"; done; test -e /bin/uname && echo uname; true';

const targets = cliTargets('10.227.0.0/16:24');
const target = targets.find((t) => t.name === 'embedded')!;
const dockerTarget = targets.find((t) => t.name === 'docker')!;
const docker = runtimeNamed('docker');

describe.skipIf(unmet(...runtimeNamed('embedded').requirements, ...docker.requirements))('snapshots saved and loaded on the embedded runtime', () => {
  const projects = projectsOn(target, { tmpPrefix: 'snapsave', stack: () => volumeStack(IMAGE) });
  beforeAll(() => {
    const store = openStore(target.stateRoot());
    store.images.tag(IMAGE, store.images.resolve('busybox:latest')!);
  });
  /** `stack` on the project, on the target's state root or (`root`) another. */
  const on = (p: string, args: string[], root?: string) => {
    const r = stackOn(target, projects.dir, projects.file, p, args, root ? { HAFEN_ROOT: root } : undefined);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const onDocker = (p: string, args: string[]) => {
    const r = stackOn(dockerTarget, projects.dir, projects.file, p, args);
    expect(r.code, `docker: ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const sh = (p: string, script: string, root?: string): string => on(p, ['exec', '-T', 'app', 'sh', '-c', script], root).stdout;

  it('saves a snapshot as one docker-archive that dockerd loads, and a fresh state root loads it and starts seeded from it', () => {
    const p = projects.newProject('sv');
    const fresh = path.join(projects.dir, `fresh-${p}`);
    const file = path.join(projects.dir, `${p}.tar`);
    const snapshotTags = [`hafen-snapshot/${p}/${p}-app-1:seed`, `hafen-snapshot/${p}/volume-${p}-data:seed`];
    try {
      on(p, ['up', '-d']);
      sh(p, 'mkdir -p /state/d && echo one > /state/a && echo deep > /state/d/x && echo vol > /data/v && rm /bin/uname');
      const seeded = sh(p, LIST);
      expect(seeded).toBe('/data/v=vol\n/state/a=one\n/state/d/x=deep\n');
      on(p, ['snapshot', 'seed']);
      sh(p, 'echo later > /state/a && echo later > /data/v && echo later > /data/w');
      const saved = on(p, ['image', 'save', '--snapshot', 'seed', '-o', file]);
      expect(saved.stderr).toContain(`Saved snapshot seed of ${p} to ${file} (docker-archive: ${snapshotTags.join(', ')})`);

      // Nothing of the project or its snapshot is left where it was taken (cgroups and networks are the machine's, not the state root's).
      on(p, ['down', '-v', '-t', '1']);
      expect(target.leftovers(p)).toEqual([]);
      expect(fs.existsSync(path.join(target.stateRoot(), 'snapshots', p))).toBe(false);

      // The real dockerd reads it: the snapshot's images with the labels the Docker runtime's snapshots carry.
      try {
        const loaded = execFileSync('docker', ['load', '-i', file], { encoding: 'utf8' });
        for (const tag of [...snapshotTags, IMAGE]) expect(loaded).toContain(tag);
        const labels = JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', snapshotTags[0]!], { encoding: 'utf8' })) as Record<string, string>;
        expect(labels).toMatchObject({ 'io.hafen.snapshot.project': p, 'io.hafen.snapshot.container': `${p}-app-1`, 'io.hafen.snapshot.service': 'app' });
        expect(labels['io.hafen.snapshot.base']).toBe(execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', IMAGE], { encoding: 'utf8' }).trim());
        const volumeTree = execFileSync('sh', ['-c', `c=$(docker create ${snapshotTags[1]} x) && docker export $c | tar -t; docker rm $c >/dev/null`], { encoding: 'utf8' });
        expect(volumeTree.split('\n')).toContain('v');
        expect(volumeTree.split('\n')).not.toContain('w');
        // The Docker runtime starts the stack on it: the snapshot's images, its volume copies made from the volume image's layer.
        expect(onDocker(p, ['snapshot', 'ls', '-q']).stdout.trim()).toBe('seed');
        onDocker(p, ['up', '-d', '--from-snapshot', 'seed']);
        expect(onDocker(p, ['exec', '-T', 'app', 'sh', '-c', LIST]).stdout).toBe(seeded);
        onDocker(p, ['down', '-v', '-t', '1']);
        expect(dockerTarget.leftovers(p)).toEqual([]);
        expect(execFileSync('docker', ['images', '-q', '--filter', `label=io.hafen.snapshot.project=${p}`], { encoding: 'utf8' }).trim()).toBe('');
      } finally {
        stackOn(dockerTarget, projects.dir, projects.file, p, ['down', '-v', '-t', '1']);
        for (const tag of [...snapshotTags, IMAGE]) spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
      }

      // A state root that has never seen the image, the project or the snapshot.
      const load = on(p, ['image', 'load', file], fresh);
      expect(load.stdout).toContain(`Loaded image: ${snapshotTags[0]}`);
      expect(load.stderr).toContain(`Restored snapshot seed of project ${p} (1 containers, 1 volumes)`);
      expect(on(p, ['snapshot', 'ls', '-q'], fresh).stdout.trim()).toBe('seed');
      on(p, ['up', '-d', '--from-snapshot', 'seed'], fresh);
      expect(sh(p, LIST, fresh)).toBe(seeded);
      // The loaded snapshot resets as one taken there does.
      sh(p, 'echo again > /state/a && echo again > /data/v', fresh);
      on(p, ['reset', 'seed'], fresh);
      expect(sh(p, LIST, fresh)).toBe(seeded);
      on(p, ['down', '-v', '-t', '1'], fresh);
      expect(stackLeftovers(p, fresh)).toEqual([]);
      expect(fs.existsSync(path.join(fresh, 'snapshots', p))).toBe(false);
    } finally {
      stackOn(target, projects.dir, projects.file, p, ['down', '-v', '-t', '1'], { HAFEN_ROOT: fresh });
    }
  }, 240_000);
});
