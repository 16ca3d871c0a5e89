/**
 * Snapshots and resets (issue 20) through the built CLI on the embedded runtime: a service writing
 * files in its root filesystem and in a named volume is snapshotted, changed (writes, deletes,
 * files of the image deleted) and reset: the data is exactly the snapshot's, the service answers
 * on the same port, its dependent with `restart: true` was restarted, the other service was not,
 * and nothing of the discarded layers is left on disk. A snapshot of a snapshot keeps whiteouts
 * and opaque folders; a snapshot taken while a service writes is consistent (frozen); snapshots
 * outlive `down` (and `up --from-snapshot` starts on one) but not `down -v`, which leaves nothing.
 * The same tests run on Docker (`docker commit` and volume copies), but for what lies on the
 * embedded runtime's disk.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { discarded, filesHolding } from './snapshot-leftovers.js';

const STACK = (image: string) => `services:
  app:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /www && echo up > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["8080"]
    ready: {tcp: 8080}
    volumes: ["data:/data"]
  client:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; date +%s%N > /tmp/started; sleep 600 & wait"]
    depends_on: {app: {condition: service_started, restart: true}}
  writer:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /w; i=0; while true; do i=$$((i+1)); echo $$i >> /w/x; echo $$i >> /w/y; usleep 2000; done"]
  stubborn:
    image: ${image}
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
    stop_grace_period: 10m
volumes:
  data: {}
`;

/** Every regular file under /state and /data with its content, and whether two files of the image are there. */
const LIST = 'for f in $(find /state /data -type f | sort); do echo "$f=$(cat $f)"; done; test -e /bin/uname && echo uname; test -e /etc/group && echo group; true';

/** What a command printed to stderr but `up`'s note on where ports listen (it comes before any check). */
const said = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => !l.startsWith('ports without an address listen'));

for (const target of cliTargets('10.234.0.0/16:24')) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements))(`snapshots on the ${target.name} runtime`, () => {
    const { run, ok, newProject } = projectsOn(target, { tmpPrefix: 'snapshot', stack: STACK });
    const sh = (p: string, service: string, script: string): string => ok(p, ['exec', '-T', service, 'sh', '-c', script]).stdout;
    const layersDir = (): string => path.join(target.stateRoot(), 'images/layers');
    const layerIds = (): string[] => (fs.existsSync(layersDir()) ? fs.readdirSync(layersDir()).sort() : []);

    /** What of a project's snapshots the runtime still holds: the state root's records (embedded), images and volume copies (Docker). */
    const snapshotsLeft = (p: string): string[] =>
      target.runtime === 'docker'
        ? ['images', 'volume ls', 'ps -a'].flatMap((cmd) => execFileSync('docker', [...cmd.split(' '), '-q', '--filter', `label=io.hafen.snapshot.${cmd === 'ps -a' ? 'copy-helper' : `project=${p}`}`], { encoding: 'utf8' }).split('\n').filter(Boolean))
        : fs.existsSync(path.join(target.stateRoot(), 'snapshots', p)) ? [p] : [];

    it('resets a service to its snapshot: rootfs and volume exactly as snapshotted, same port, dependent restarted, discarded layers gone', async () => {
      const p = newProject('sn');
      const before = layerIds();
      ok(p, ['up', '-d']);
      sh(p, 'app', 'mkdir -p /state/d && echo one > /state/a && echo two > /state/b && echo old > /state/d/old && echo vol1 > /data/v && rm /bin/uname');
      const seeded = sh(p, 'app', LIST);
      expect(seeded).toBe('/data/v=vol1\n/state/a=one\n/state/b=two\n/state/d/old=old\ngroup\n');
      const port = ok(p, ['port', 'app', '8080']).stdout.trim();

      const taken = ok(p, ['snapshot', 'seeded', 'app']);
      expect(taken.stderr).toContain(`snapshot seeded of app (volumes ${p}_data)`);
      const listed = JSON.parse(ok(p, ['snapshot', 'ls', '--format', 'json']).stdout) as { name: string; services: string[]; volumes: string[]; size: number }[];
      expect(listed).toEqual([expect.objectContaining({ name: 'seeded', services: ['app'], volumes: [`${p}_data`] })]);
      expect(listed[0]!.size).toBeGreaterThan(0);

      const token = `AFTER-${randomBytes(6).toString('hex')}`;
      sh(p, 'app', `echo ${token} > /state/a && rm /state/b && echo ${token} > /state/c && echo ${token} > /data/v && echo ${token} > /data/w && rm /etc/group`);
      expect(sh(p, 'app', LIST)).toContain(token);
      const clientStarted = sh(p, 'client', 'cat /tmp/started');
      const writerLines = Number(sh(p, 'writer', 'wc -l < /w/x').trim());

      const reset = ok(p, ['reset', 'seeded']);
      expect(reset.stderr).toMatch(new RegExp(`reset app to snapshot seeded in \\d+ ms; restarted client`));
      expect(sh(p, 'app', LIST)).toBe(seeded);
      expect(ok(p, ['port', 'app', '8080']).stdout.trim()).toBe(port);
      const answer = await fetch(`http://${port}/`);
      expect(await answer.text()).toBe('up\n');
      // The dependent with `restart: true` started again; the other service went on as it was.
      await sleep(50);
      expect(sh(p, 'client', 'cat /tmp/started')).not.toBe(clientStarted);
      expect(Number(sh(p, 'writer', 'wc -l < /w/x').trim())).toBeGreaterThanOrEqual(writerLines);
      // Nothing of what was discarded is left anywhere under the state root (deleted while the services start).
      const root = target.stateRoot();
      if (target.runtime === 'embedded') {
        await expect.poll(() => discarded(path.join(root, 'projects', p)), { timeout: 10_000 }).toEqual([]);
        expect(filesHolding(path.join(root, 'projects', p), token)).toEqual([]);
        expect(filesHolding(layersDir(), token)).toEqual([]);
      }

      // A snapshot of the snapshot keeps a deleted file deleted and a replaced folder's old content hidden.
      sh(p, 'app', 'rm /state/a && rm -rf /state/d && mkdir /state/d && echo new > /state/d/new');
      ok(p, ['snapshot', 'second', 'app']);
      sh(p, 'app', 'echo again > /state/a && echo more > /state/d/more');
      ok(p, ['reset', 'second', 'app']);
      expect(sh(p, 'app', LIST)).toBe('/data/v=vol1\n/state/b=two\n/state/d/new=new\ngroup\n');
      expect(ok(p, ['snapshot', 'ls', '-q']).stdout.trim().split('\n')).toEqual(['seeded', 'second']);
      ok(p, ['reset', 'seeded']);
      expect(sh(p, 'app', LIST)).toBe(seeded);

      // Errors: one line, exit 2, nothing touched.
      for (const [args, says] of [
        [['reset', 'nosuch'], 'no snapshot "nosuch"'],
        [['reset', 'seeded', 'nosuch'], 'nosuch'],
        [['snapshot', 's3', 'nosuch'], 'nosuch'],
        [['snapshot', 'rm', 'nosuch'], 'no snapshot "nosuch"'],
        [['snapshot', 'bad/name'], 'snapshot name "bad/name"'],
        [['reset', 'seeded', 'writer'], 'does not hold service writer'],
      ] as const) {
        const r = run(p, [...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringContaining(says)]);
      }
      expect(sh(p, 'app', LIST)).toBe(seeded);

      ok(p, ['snapshot', 'rm', 'second']);
      expect(ok(p, ['snapshot', 'ls', '-q']).stdout.trim()).toBe('seeded');
      // down -v: nothing of the project, its snapshots or their layers is left.
      ok(p, ['down', '-v', '-t', '1']);
      expect(target.leftovers(p)).toEqual([]);
      expect(snapshotsLeft(p)).toEqual([]);
      expect(layerIds()).toEqual(before);
    }, 240_000);

    it('takes a consistent snapshot of a service writing all the time (frozen while copied)', () => {
      const p = newProject('snw');
      ok(p, ['up', '-d', 'writer']);
      sh(p, 'writer', 'while [ "$(wc -l < /w/x)" -lt 200 ]; do usleep 20000; done');
      ok(p, ['snapshot', 'busy', 'writer']);
      ok(p, ['reset', 'busy']);
      // Read before the writer's new appends: its counter restarts at 1 into the reset files, so the
      // snapshot's part is the lines up to the first 1 after line 1.
      const [x, y] = ['x', 'y'].map((f) => {
        const lines = sh(p, 'writer', `cat /w/${f}`).split('\n');
        const restart = lines.indexOf('1', 1);
        return lines.slice(0, restart);
      });
      expect(x!.length).toBeGreaterThanOrEqual(200);
      // Every line whole and in order: 1..n in each file; frozen in one instant, so y is x or one append behind it.
      expect(x).toEqual(x!.map((_, i) => String(i + 1)));
      expect(y).toEqual(y!.map((_, i) => String(i + 1)));
      expect(x!.length - y!.length).toBeGreaterThanOrEqual(0);
      expect(x!.length - y!.length).toBeLessThanOrEqual(1);
    }, 120_000);

    it('saves a snapshot as one docker-archive that `stack image load` reads, and starts the stack seeded from it when nothing else is left', () => {
      const p = newProject('snz');
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-snapshot-save-'));
      try {
        ok(p, ['up', '-d', 'app']);
        sh(p, 'app', 'mkdir -p /state && echo seeded > /state/s && echo vol > /data/v');
        ok(p, ['snapshot', 'seed']);
        const file = path.join(tmp, 'seed.tar');
        ok(p, ['image', 'save', '--snapshot', 'seed', '-o', file]);
        // Nothing of the project or its snapshot is left on the engine: only the archive.
        ok(p, ['down', '-v', '-t', '1']);
        expect(snapshotsLeft(p)).toEqual([]);
        const loaded = ok(p, ['image', 'load', file]).stdout;
        expect(loaded).toContain(`hafen-snapshot/${p}/${p}-app-1:seed`);
        expect(loaded).toContain(`hafen-snapshot/${p}/volume-${p}-data:seed`);
        expect(ok(p, ['snapshot', 'ls', '-q']).stdout.trim()).toBe('seed');
        ok(p, ['up', '-d', '--from-snapshot', 'seed', 'app']);
        expect(sh(p, 'app', 'cat /state/s /data/v')).toBe('seeded\nvol\n');
        ok(p, ['down', '-v', '-t', '1']);
        expect(snapshotsLeft(p)).toEqual([]);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }, 180_000);

    it('resets a service that ignores its stop signal at once (its state is discarded: no grace period unless -t)', () => {
      const p = newProject('sns');
      ok(p, ['up', '-d', 'stubborn']);
      sh(p, 'stubborn', 'echo seeded > /s');
      ok(p, ['snapshot', 'seeded']);
      sh(p, 'stubborn', 'echo changed > /s');
      // A graceful stop would wait its 10 minutes, far past this test's time.
      ok(p, ['reset', 'seeded']);
      expect(sh(p, 'stubborn', 'cat /s')).toBe('seeded\n');
    }, 120_000);

    it('keeps snapshots over `down` and starts a stack on one with `up --from-snapshot`', () => {
      const p = newProject('snf');
      ok(p, ['up', '-d', 'app']);
      sh(p, 'app', 'mkdir -p /state && echo seeded > /state/s && echo vol > /data/v');
      ok(p, ['snapshot', 'seed', '--stop', '-t', '1']);
      expect(sh(p, 'app', LIST)).toBe('/data/v=vol\n/state/s=seeded\nuname\ngroup\n');
      sh(p, 'app', 'echo later > /state/s && echo later > /data/v');
      ok(p, ['down', '-t', '1']);
      expect(ok(p, ['snapshot', 'ls', '-q']).stdout.trim()).toBe('seed');
      ok(p, ['up', '-d', '--from-snapshot', 'seed', 'app']);
      expect(sh(p, 'app', LIST)).toBe('/data/v=vol\n/state/s=seeded\nuname\ngroup\n');
      // The volume keeps what is written after (on the embedded runtime it is now overlay-backed: `down` unmounts it, the next `up` mounts it again).
      sh(p, 'app', 'echo kept > /data/kept');
      ok(p, ['down', '-t', '1']);
      expect(target.leftovers(p).filter((l) => !l.includes('/volumes/') && !l.startsWith('volume '))).toEqual([]);
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`/projects/${p}/`);
      ok(p, ['up', '-d', 'app']);
      expect(sh(p, 'app', 'cat /data/kept /data/v')).toBe('kept\nvol\n');
      const r = run(p, ['up', '-d', '--from-snapshot', 'nosuch']);
      expect(r.code).toBe(2);
      expect(said(r.stderr)).toEqual([expect.stringContaining('--from-snapshot nosuch: no such snapshot')]);
      ok(p, ['down', '-v', '-t', '1']);
      expect(snapshotsLeft(p)).toEqual([]);
    }, 240_000);
  });
}
