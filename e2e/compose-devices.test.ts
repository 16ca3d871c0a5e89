/**
 * Device access through the built CLI, on the embedded runtime and on Docker: a service gets
 * Docker's default device set, `devices:` and `device_cgroup_rules:` add to it, and `stack exec`
 * is held by the same rules. On cgroup v1 the container's devices.list is compared with what
 * Docker itself writes. `down` leaves no cgroup.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostBlockDevice } from '../src/testing/host-devices.js';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const disk = hostBlockDevice();
const SLEEP = `trap 'exit 0' TERM; sleep 600 & wait`;

const STACK = (image: string) => `services:
  plain:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
  added:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    devices: [/dev/fuse]
    device_cgroup_rules: ["b ${disk?.major}:* r"]
`;

/** Each runtime, and where its containers' devices cgroups are. */
const targets = cliTargets('10.247.0.0/16:24').map((t) => ({
  ...t,
  devicesDir: (project: string, container: string): string => {
    if (t.name === 'embedded') return `/sys/fs/cgroup/devices/hafen/${project}/${container}`;
    const id = execFileSync('docker', ['inspect', '-f', '{{.Id}}', container], { encoding: 'utf8' }).trim();
    return `/sys/fs/cgroup/devices/docker/${id}`;
  },
}));

/** A v1 devices hierarchy, as on these machines: the devices.list comparison needs it. */
const v1 = fs.existsSync('/sys/fs/cgroup/devices/devices.list');

/** What Docker 20.10 (runc 1.1) writes for a container without device options. */
const DOCKER_DEFAULT = ['b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 10:200 rwm', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm'].sort();

for (const target of targets) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements, { name: 'a block device', check: () => (disk ? undefined : 'none root can open here') }))(
    `devices on the ${target.name} runtime`,
    () => {
      const { run, newProject } = projectsOn(target, { tmpPrefix: 'devices', stack: STACK, down: ['down', '-v'] });

      it('holds stack exec to the default set, opens what devices: and device_cgroup_rules: add, and leaves no cgroup', () => {
        const p = newProject('dx');
        const up = run(p, ['up', '-d']);
        expect(up.code, up.stderr).toBe(0);

        const probe = `mknod /tmp/disk b ${disk!.major} ${disk!.minor} && echo mknod=ok; head -c 1 /tmp/disk >/dev/null && echo disk=read; (: < /dev/fuse) && echo fuse=open; echo x > /dev/null && echo null=ok`;
        const plain = run(p, ['exec', '-T', 'plain', 'sh', '-c', probe]);
        expect(plain.stdout.trim().split('\n')).toEqual(['mknod=ok', 'null=ok']);
        expect(plain.stderr).toMatch(/\/tmp\/disk: Operation not permitted/);
        const added = run(p, ['exec', '-T', 'added', 'sh', '-c', probe]);
        expect(added.stdout.trim().split('\n')).toEqual(['mknod=ok', 'disk=read', 'fuse=open', 'null=ok']);

        if (v1) {
          const list = (service: string) => fs.readFileSync(path.join(target.devicesDir(p, `${p}-${service}-1`), 'devices.list'), 'utf8').trim().split('\n').sort();
          expect(list('plain')).toEqual(DOCKER_DEFAULT);
          expect(list('added')).toEqual([...DOCKER_DEFAULT, 'c 10:229 rwm', `b ${disk!.major}:* r`].sort());
        }
      }, 180_000);
    },
  );
}
