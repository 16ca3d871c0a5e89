/**
 * Issue 20 over issue 19's embedded ships: snapshots and resets of a stack spread over this machine
 * and another host (`ships:` with `runtime: embedded` and `host: ssh://…`; the ssh lab in a network
 * and mount namespace of its own stands for it). Each host's runtime snapshots and resets its own
 * services in its own state root: data written on both sides (root filesystems and named volumes)
 * comes back on both after a reset; `snapshot ls` merges the two parts; a reset of the service there
 * restarts its dependent here (`restart: true`), and one of the service here its dependent there; nothing of the discarded layers stays there;
 * `snapshot --stop` works across both, `down` keeps both parts and `up --from-snapshot` starts on
 * them; `snapshot rm` removes both parts; `image save
 * --snapshot` of one spread over both is refused; `down -v` leaves nothing on either side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotsDir } from '../src/runtime/embedded/snapshots/snapshot-record.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { stack, type CliResult } from './cli.js';
import { downAndCheckRemote, leftoversInLab, twoHostEnv } from './remote-teardown.js';
import { filesHolding } from './snapshot-leftovers.js';

/** Every regular file under /state and /data with its content (what a reset must bring back exactly). */
const LIST = 'for f in $(find /state /data -type f | sort); do echo "$f=$(cat $f)"; done';
/** The start time of the container's first process (changes when the service is restarted). */
const STARTED = "cut -d' ' -f22 /proc/1/stat";


describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireSshd(), requireSshLabNetns()))('snapshots of a stack spread over embedded ships on two hosts (issues 19, 20)', () => {
  let lab: SshLab;
  let dir: string;
  let file: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rss${randomBytes(3).toString('hex')}`;
  const run = (args: string[]): CliResult => stack(['-f', file, ...args], { env: twoHostEnv(lab, { localRoot, remoteRoot, pool: '10.207.64.0/18:24' }), timeout: 180_000 });
  const ok = (args: string[]): CliResult => {
    const r = run(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const sh = (service: string, script: string): string => ok(['exec', '-T', service, 'sh', '-c', script]).stdout;
  /** The snapshot names each host's state root holds records of. */
  const records = (root: string): string[] => {
    const d = snapshotsDir(root, project);
    return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).sort() : [];
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-ships-snap-'));
    [remoteRoot, localRoot, file] = ['remote-root', 'local-root', 'stack.yaml'].map((f) => path.join(dir, f)) as [string, string, string];
    lab = await startSshLab({ netns: '10.207' });
    const idle = `["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]`;
    // db there, app here depending on it, and the other way round worker there depending on app.
    fs.writeFileSync(
      file,
      `name: ${project}
ships:
  east: {runtime: embedded, host: "${lab.url}"}
services:
  db: {image: host, ship: east, command: ${idle}, volumes: ["eastdata:/data"]}
  app:
    {image: host, command: ${idle}, volumes: ["heredata:/data"], depends_on: {db: {condition: service_started, restart: true}}}
  worker:
    {image: host, ship: east, command: ${idle}, depends_on: {app: {condition: service_started, restart: true}}}
volumes: {eastdata: {}, heredata: {}}
`,
    );
  }, 60_000);

  // down -v: nothing left on either side, no snapshot record either.
  afterAll(() =>
    downAndCheckRemote({
      lab,
      dir,
      project,
      remoteRoot,
      localRoot,
      down: () => {
        const down = run(['down', '-v']);
        if (down.code === 0) {
          expect(leftoversInLab(lab, project, remoteRoot)).toEqual([]);
          expect([...records(remoteRoot), ...records(localRoot)]).toEqual([]);
        }
        return down;
      },
    }),
  240_000);

  it('snapshots both hosts\' services, resets them to it (data back on both sides), restarts dependents across hosts, up --from-snapshot and rm on both, a reset from there alone', async () => {
    ok(['up', '-d']);
    const write = (service: string, tag: string): string => sh(service, `mkdir -p /state && echo ${tag}-root > /state/f && echo ${tag}-vol > /data/f && ${LIST}`);
    const seededEast = write('db', 'east');
    const seededHere = write('app', 'here');
    expect(seededEast).toBe('/data/f=east-vol\n/state/f=east-root\n');
    expect(seededHere).toBe('/data/f=here-vol\n/state/f=here-root\n');

    ok(['snapshot', 'seed']);
    // Each host keeps the part of its own services, in its own state root.
    expect(records(remoteRoot)).toEqual(['seed.json']);
    expect(records(localRoot)).toEqual(['seed.json']);
    const listed = JSON.parse(ok(['snapshot', 'ls', '--format', 'json']).stdout) as { name: string; services: string[]; volumes: string[] }[];
    expect(listed.map((s) => [s.name, s.services])).toEqual([['seed', ['app', 'db', 'worker']]]);
    expect(listed[0]!.volumes).toHaveLength(2);

    // Changed on both sides: files rewritten, added and deleted, in the root filesystems and the volumes.
    const token = `gone-${randomBytes(6).toString('hex')}`;
    for (const service of ['db', 'app']) sh(service, `echo ${token} > /state/f; echo more > /state/g; rm /data/f; echo ${token} > /data/h`);
    expect(sh('db', LIST)).toBe(`/data/h=${token}\n/state/f=${token}\n/state/g=more\n`);
    const remoteProject = path.join(remoteRoot, 'projects', project);
    expect(filesHolding(remoteProject, token).length).toBeGreaterThan(0);

    const reset = ok(['reset', 'seed']);
    expect(reset.stderr).toContain('reset app, db, worker to snapshot seed');
    expect(sh('db', LIST)).toBe(seededEast);
    expect(sh('app', LIST)).toBe(seededHere);
    // There, nothing of the discarded upper directories is left (the lab's mounts are its own: what this walk sees is the disk).
    await expect.poll(() => filesHolding(remoteProject, token), { timeout: 10_000 }).toEqual([]);

    // A reset of db alone (there) restarts app (here), which depends on it with restart: true; app's data stays.
    sh('app', 'echo kept > /state/k');
    const before = sh('app', STARTED);
    const dbOnly = ok(['reset', 'seed', 'db']);
    expect(dbOnly.stderr).toContain('reset db to snapshot seed');
    expect(dbOnly.stderr).toContain('restarted app');
    expect(sh('app', STARTED)).not.toBe(before);
    expect(sh('app', LIST)).toBe(`${seededHere}/state/k=kept\n`);
    expect(sh('db', LIST)).toBe(seededEast);
    // And a reset of app alone (here) restarts worker (there).
    const workerBefore = sh('worker', STARTED);
    expect(ok(['reset', 'seed', 'app']).stderr).toContain('restarted worker');
    expect(sh('worker', STARTED)).not.toBe(workerBefore);

    // One archive is one host's: a snapshot spread over both is not saved as one.
    const save = run(['image', 'save', '--snapshot', 'seed', '-o', path.join(dir, 'seed.tar')]);
    expect(save.code, save.stderr).toBe(2);
    expect(save.stderr.trim()).toBe('error: snapshot seed is held on ships the default ship, east; saving a snapshot spread over ships as one archive is not done yet');

    ok(['snapshot', 'rm', 'seed']);
    expect(records(remoteRoot)).toEqual([]);
    expect(records(localRoot)).toEqual([]);
    expect(ok(['snapshot', 'ls', '-q']).stdout.trim()).toBe('');
    const again = run(['reset', 'seed']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no snapshot "seed"');

    // Taken from a clean stop, kept by `down` on both hosts, and brought up onto by `up --from-snapshot`.
    for (const service of ['db', 'app']) sh(service, 'echo two > /state/two; echo two > /data/two');
    const atTwo = { db: sh('db', LIST), app: sh('app', LIST) };
    ok(['snapshot', '--stop', 'two']);
    ok(['down']);
    expect(records(remoteRoot)).toEqual(['two.json']);
    expect(records(localRoot)).toEqual(['two.json']);
    ok(['up', '-d', '--from-snapshot', 'two']);
    expect(sh('db', LIST)).toBe(atTwo.db);
    expect(sh('app', LIST)).toBe(atTwo.app);
    ok(['snapshot', 'rm', 'two']);

    // A snapshot of the service there alone lives there alone; down -v (afterAll) takes it too.
    ok(['snapshot', 'east-only', 'db']);
    expect(records(remoteRoot)).toEqual(['east-only.json']);
    expect(records(localRoot)).toEqual([]);
    // Reset from there alone (this machine's root has no record of it).
    sh('db', `echo ${token} > /data/two`);
    ok(['reset', 'east-only']);
    expect(sh('db', LIST)).toBe(atTwo.db);
    const notHeld = run(['reset', 'east-only', 'app']);
    expect(notHeld.code).toBe(2);
    expect(notHeld.stderr).toContain('snapshot east-only does not hold service app (it holds db)');
    const saveEast = run(['image', 'save', '--snapshot', 'east-only', '-o', path.join(dir, 'east.tar')]);
    expect(saveEast.code, saveEast.stderr).toBe(2);
    expect(saveEast.stderr).toContain('held on ship east, an embedded ship: saving its snapshots is not done yet');
  }, 400_000);
});
