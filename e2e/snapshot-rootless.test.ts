/**
 * Snapshots and resets for a user without root (issues 17 and 20), driven as `hafen-rootless`
 * through the built CLI: a service of a busybox image with a folder owned by uid 1000 writes files
 * of several owners and modes (and a symlink, and a deleted image file) in its root filesystem, a
 * named volume and an anonymous one; snapshot, changes, reset: every file is back with its content,
 * owner, group and mode as the container sees them (the user namespace's mapping shifts them on
 * disk: the capture must keep the host ids, not the mapped ones); nothing of the discarded upper
 * folders is left under the user's state; `down -v` leaves nothing of the user's project. Twice:
 * without a cgroup (the container is copied while it runs) and in a cgroup delegated to the user
 * (frozen while copied).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../src/testing/requirements.js';
import { delegateCgroupToRootlessUser, requireCgroupDelegation, type DelegatedCgroup } from '../src/testing/rootless-cgroup.js';
import { requireRootlessUser } from '../src/testing/rootless-user.js';
import { saveBusyboxArchiveWithAppDir } from './rootless-archive.js';
import { userScenario, type UserScenario } from './rootless-scenario.js';
import { discarded, filesHolding } from './snapshot-leftovers.js';

const base = [requireRoot(), requireCommand('busybox'), requireRootlessUser()];

/** Every entry under the service's data folders: owner, group, mode, type, path and a file's content. */
const LIST = "find /state /data /anon /home/app | sort | while read f; do if [ -L $f ]; then echo \"$f -> $(readlink $f)\"; else echo \"$(stat -c '%u:%g %a %F' $f) $f $([ -f $f ] && cat $f)\"; fi; done; test -e /bin/uname && echo uname; true";

const SEED = [
  'mkdir -p /state/d /home/app/cfg',
  'echo one > /state/a && chown 1000:1000 /state/a && chmod 640 /state/a',
  'echo two > /state/d/b && chown 1234:100 /state/d && chmod 2750 /state/d',
  'ln -s a /state/link',
  'echo v > /data/v && chown 1000:100 /data/v && chmod 604 /data/v',
  'mkdir /data/sub && echo x > /data/sub/x && chown -R 1000:1000 /data/sub && chmod 700 /data/sub',
  'echo anon > /anon/f && chown 65534:65534 /anon/f',
  'echo app > /home/app/cfg/c && chown -R 1000:1000 /home/app/cfg',
  'rm /bin/uname',
].join(' && ');

function scenario(title: string, pool: string, delegate: boolean): void {
  const missing = unmet(...base, ...(delegate ? [requireCgroupDelegation()] : []));
  describe.skipIf(missing)(title, () => {
    const project = `snr${randomBytes(4).toString('hex')}`;
    let scene: UserScenario;
    let cgroup: DelegatedCgroup | undefined;
    const stack = (args: string[]) => scene.stack(args, { timeoutMs: 120_000 });
    const ok = (args: string[]) => {
      const r = stack(args);
      expect(r.code, `stack ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    const sh = (script: string) => ok(['exec', '-T', 'app', 'sh', '-c', script]).stdout;

    beforeAll(async () => {
      scene = userScenario('hafen-snr-', pool);
      if (delegate) {
        cgroup = delegateCgroupToRootlessUser();
        scene.env.HAFEN_CGROUP_PARENT = cgroup.name;
      }
      await saveBusyboxArchiveWithAppDir(scene.dir, `${project}-bb:1`, path.join(scene.work, 'bb.tar'));
      fs.chownSync(path.join(scene.work, 'bb.tar'), scene.user.uid, scene.user.gid);
      scene.write(
        'stack.yaml',
        [
          `name: ${project}`,
          'services:',
          '  app:',
          '    image: docker-archive:./bb.tar',
          '    command: ["sleep", "1000"]',
          '    volumes: ["data:/data", "/anon"]',
          'volumes:',
          '  data: {}',
          '',
        ].join('\n'),
      );
    }, 120_000);

    afterAll(() => {
      if (!scene) return;
      stack(['down', '-v', '-t', '0']);
      scene.remove();
      cgroup?.remove();
    }, 120_000);

    it('resets files, owners and modes exactly, leaves no discarded folder, and down -v leaves nothing', async () => {
      ok(['up', '-d']);
      const ns = scene.holder()?.ns;
      sh(SEED);
      const seeded = sh(LIST);
      expect(seeded).toContain('1000:1000 640 regular file /state/a one');
      expect(seeded).toContain('1234:100 2750 directory /state/d');
      expect(seeded).toContain('65534:65534 644 regular file /anon/f anon');
      expect(seeded).not.toContain('uname');
      const taken = ok(['snapshot', 'seeded']);
      expect(taken.stderr).toContain(`snapshot seeded of app (volumes ${project}_data)`);

      const token = `AFTER-${randomBytes(6).toString('hex')}`;
      sh(`echo ${token} > /state/a && chown 0:0 /state/a && chmod 600 /data/v && rm -r /data/sub && echo ${token} > /anon/f && chown 1000 /anon/f && echo ${token} > /home/app/cfg/c && rm /state/link && echo ${token} > /data/new`);
      expect(sh(LIST)).not.toBe(seeded);

      ok(['reset', 'seeded']);
      expect(sh(LIST)).toBe(seeded);
      const state = path.join(scene.dataRoot, 'projects', project);
      await expect.poll(() => discarded(state), { timeout: 15_000 }).toEqual([]);
      expect(filesHolding(state, token)).toEqual([]);

      // Again: a second reset onto the same snapshot starts from its data, not the first reset's.
      sh(`echo ${token} > /state/a && echo ${token} > /anon/f && echo ${token} > /data/v`);
      ok(['reset', 'seeded']);
      expect(sh(LIST)).toBe(seeded);

      ok(['down', '-v', '-t', '0']);
      await expect.poll(() => scene.leftovers(project, ns), { timeout: 15_000 }).toEqual([]);
      if (cgroup) expect(cgroup.children()).toEqual([]);
    }, 300_000);
  });
}

scenario('rootless snapshots without a cgroup (copied while running)', '10.216.204.0/25:27', false);
scenario('rootless snapshots in a delegated cgroup (frozen while copied)', '10.216.204.128/25:27', true);
