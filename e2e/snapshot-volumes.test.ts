/**
 * What a snapshot holds of a service's mounts (issue 20), through the built CLI: on the embedded
 * runtime an anonymous volume (`volumes: [/anon]`) is the container's state, captured and reset
 * as a named one (and put back by `up --from-snapshot` after a `down`; on Docker it is not captured,
 * `snapshot` says so, and a reset gives the container a new one); an external volume (another
 * project's, in use by that project's running service), a bind mount and a named volume in the
 * local driver's bind form (host folders) are not captured: `snapshot` names each once, and
 * `reset` leaves them as they are, so the other project's service goes on reading them. `down -v` leaves nothing of the project (no mount, no
 * discarded folder, no snapshot layer) and keeps the external volume, as it keeps external ones.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { discarded } from './snapshot-leftovers.js';

/** The service's data folders: each file with its content. */
const LIST = 'for f in $(find /data /anon /ext /bind /hostvol -type f | sort); do echo "$f=$(cat $f)"; done';

for (const target of cliTargets('10.204.0.0/16:24')) {
  const factory = runtimeNamed(target.name);
  const embedded = target.runtime === 'embedded';
  describe.skipIf(unmet(...factory.requirements))(`snapshots of anonymous, external and bind mounts on the ${target.name} runtime`, () => {
    const projects = projectsOn(target, { tmpPrefix: 'snapvol' });
    const { ok, run, newProject } = projects;
    const layersDir = (): string => path.join(target.stateRoot(), 'images/layers');
    const layerIds = (): string[] => (fs.existsSync(layersDir()) ? fs.readdirSync(layersDir()).sort() : []);

    it('captures and resets anonymous volumes, names and leaves external volumes and binds, and down -v keeps the external volume only', async () => {
      const owner = newProject('svo');
      const p = newProject('svp');
      const ext = `${owner}-shared`;
      const { dir, image } = projects;
      const bindDir = fs.mkdtempSync(path.join(dir, 'bind-'));
      const hostDir = fs.mkdtempSync(path.join(dir, 'hostvol-'));
      const ownerFile = path.join(dir, `${owner}.yaml`);
      const file = path.join(dir, `${p}.yaml`);
      fs.writeFileSync(ownerFile, [
        'services:',
        '  keeper:',
        `    image: ${image}`,
        '    command: ["sleep", "600"]',
        '    volumes: ["shared:/s"]',
        'volumes:',
        `  shared: {name: ${ext}}`,
        '',
      ].join('\n'));
      fs.writeFileSync(file, [
        'services:',
        '  app:',
        `    image: ${image}`,
        '    command: ["sleep", "600"]',
        `    volumes: ["data:/data", "/anon", "${ext}:/ext", "${bindDir}:/bind", "hostvol:/hostvol"]`,
        'volumes:',
        '  data: {}',
        `  hostvol: {driver_opts: {type: none, o: bind, device: ${hostDir}}}`,
        `  ${ext}: {external: true}`,
        '',
      ].join('\n'));
      target.handOver(dir);
      try {
        const sh = (script: string): string => ok(p, ['exec', '-T', 'app', 'sh', '-c', script], file).stdout;
        const before = layerIds();

        ok(owner, ['up', '-d'], ownerFile);
        ok(p, ['up', '-d'], file);
        sh('mkdir /anon/d && echo seed > /anon/a && echo seed > /anon/d/b && echo seed > /data/v && echo seed > /ext/e && echo seed > /bind/b && echo seed > /hostvol/h');
        const seeded = sh(LIST);
        expect(seeded).toBe('/anon/a=seed\n/anon/d/b=seed\n/bind/b=seed\n/data/v=seed\n/ext/e=seed\n/hostvol/h=seed\n');

        const taken = ok(p, ['snapshot', 's1'], file);
        const notes = taken.stderr.split('\n').filter((l) => l.includes('is not captured'));
        expect(notes).toEqual([
          ...(embedded ? [] : ['snapshot s1: service app: anonymous volume /anon (the Docker runtime commits containers without their volumes) is not captured; reset gives the container a new one, as the image has it']),
          `snapshot s1: service app: external volume ${ext} at /ext (it is not this project's: other users may share it) is not captured; reset leaves it as it is`,
          `snapshot s1: service app: bind mount /bind (host folder ${bindDir}) is not captured; reset leaves it as it is`,
          `snapshot s1: service app: volume ${p}_hostvol at /hostvol (host folder ${hostDir}) is not captured; reset leaves it as it is`,
        ]);
        expect(taken.stderr).toContain(`snapshot s1 of app (volumes ${p}_data)`);

        const token = `AFTER-${randomBytes(6).toString('hex')}`;
        sh(`echo ${token} > /anon/a && rm -r /anon/d && echo ${token} > /anon/c && echo ${token} > /data/v && echo ${token} > /ext/e && echo ${token} > /bind/b && echo ${token} > /hostvol/h`);
        ok(p, ['reset', 's1'], file);
        // Anonymous and named volumes are the snapshot's; the external volume, the bind and the host-folder volume kept what was written since.
        const kept = `${embedded ? '/anon/a=seed\n/anon/d/b=seed\n' : ''}/bind/b=${token}\n/data/v=seed\n/ext/e=${token}\n/hostvol/h=${token}\n`;
        expect(sh(LIST)).toBe(kept);
        // The other project's service reads the external volume as it was, undisturbed.
        expect(ok(owner, ['exec', '-T', 'keeper', 'cat', '/s/e'], ownerFile).stdout).toBe(`${token}\n`);
        if (embedded) await expect.poll(() => discarded(path.join(target.stateRoot(), 'projects', p)), { timeout: 10_000 }).toEqual([]);

        // A reset anonymous volume keeps what is written after, over a stop and start; a second reset discards it.
        sh('echo later > /anon/l');
        ok(p, ['stop', '-t', '1'], file);
        ok(p, ['start'], file);
        expect(sh('cat /anon/l')).toBe('later\n');
        if (embedded) expect(sh('cat /anon/a')).toBe('seed\n');
        ok(p, ['reset', 's1'], file);
        expect(sh(LIST)).toBe(kept);

        // After `down` (the container and its anonymous volume go), `up --from-snapshot` puts it back.
        ok(p, ['down', '-t', '1'], file);
        expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`/projects/${p}/`);
        ok(p, ['up', '-d', '--from-snapshot', 's1'], file);
        expect(sh(LIST)).toBe(kept);

        ok(p, ['down', '-v', '-t', '1'], file);
        expect(target.leftovers(p)).toEqual([]);
        expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`/projects/${p}/`);
        if (embedded) expect(fs.existsSync(path.join(target.stateRoot(), 'snapshots', p))).toBe(false);
        // The external volume is kept, with its data, for its project.
        expect(ok(owner, ['exec', '-T', 'keeper', 'cat', '/s/e'], ownerFile).stdout).toBe(`${token}\n`);
        expect(fs.readFileSync(path.join(bindDir, 'b'), 'utf8')).toBe(`${token}\n`);
        expect(fs.readFileSync(path.join(hostDir, 'h'), 'utf8')).toBe(`${token}\n`);
        ok(owner, ['down', '-v', '-t', '1'], ownerFile);
        expect(target.leftovers(owner)).toEqual([]);
        if (embedded) expect(layerIds()).toEqual(before);
        expect(run(p, ['snapshot', 'ls', '-q'], file).stdout.trim()).toBe('');
      } finally {
        // On failure: both projects down with their own files (afterEach knows only the default one).
        run(p, ['down', '-v', '-t', '0'], file);
        run(owner, ['down', '-v', '-t', '0'], ownerFile);
      }
    }, 240_000);

    // The Docker runtime saves no anonymous volume (it captures none).
    if (embedded) it('saves a snapshot with an anonymous volume as one archive, and `image load` + `up --from-snapshot` put the volume back', () => {
      const p = newProject('sva');
      const file = path.join(projects.dir, `${p}.yaml`);
      fs.writeFileSync(file, ['services:', '  app:', `    image: ${projects.image}`, '    command: ["sleep", "600"]', '    volumes: ["/anon"]', ''].join('\n'));
      const archive = path.join(projects.dir, `${p}.tar`);
      target.handOver(projects.dir);
      try {
        ok(p, ['up', '-d'], file);
        ok(p, ['exec', '-T', 'app', 'sh', '-c', 'echo seed > /anon/a'], file);
        ok(p, ['snapshot', 'seed'], file);
        ok(p, ['image', 'save', '--snapshot', 'seed', '-o', archive], file);
        ok(p, ['down', '-v', '-t', '1'], file);
        const loaded = ok(p, ['image', 'load', archive], file);
        expect(loaded.stdout).toContain(`hafen-snapshot/${p}/anon-${p}-app-1-0:seed`);
        expect(loaded.stderr).toContain(`Restored snapshot seed of project ${p}`);
        ok(p, ['up', '-d', '--from-snapshot', 'seed'], file);
        expect(ok(p, ['exec', '-T', 'app', 'cat', '/anon/a'], file).stdout).toBe('seed\n');
        ok(p, ['down', '-v', '-t', '1'], file);
        expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`/projects/${p}/`);
      } finally {
        run(p, ['down', '-v', '-t', '0'], file);
        fs.rmSync(archive, { force: true });
      }
    }, 180_000);
  });
}
