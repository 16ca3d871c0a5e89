/**
 * Device access on every runtime, as under Docker: container root may mknod any node (CAP_MKNOD)
 * but open only the default set (null, zero, full, random, urandom, tty, console, ptmx, pts, tun);
 * a host block device or tty made with mknod refuses to open with EPERM, in the container and in
 * an exec into it. `devices:` and `device_cgroup_rules:` add to the set; `privileged: true` opens
 * everything. The harness checks after each test that no cgroup of the project is left.
 */
import { describe, expect, it } from 'vitest';
import { hostBlockDevice, hostTty } from '../../src/testing/host-devices.js';
import { unmet, type Requirement } from '../../src/testing/requirements.js';
import { caveatOf, logText, useRuntime, type Harness } from './harness.js';
import { runtimes } from './runtimes.js';

const disk = hostBlockDevice();
const tty = hostTty();

function requireBlockDevice(): Requirement {
  return { name: 'a block device', check: () => (disk ? undefined : 'no block device root can open here (/proc/partitions, /dev/loop*)') };
}

/** `name=ok|EPERM|ENXIO|error` for a shell command, one line. */
const CHECK = [
  'c() { n=$1; shift; if sh -c "$*" >/dev/null 2>/tmp/err; then echo "$n=ok";',
  'elif grep -q "not permitted" /tmp/err; then echo "$n=EPERM";',
  'elif grep -q "No such device or address" /tmp/err; then echo "$n=ENXIO"; else echo "$n=error $(cat /tmp/err)"; fi; }',
].join(' ');

/**
 * The checks, one line each; `extra` more of them. Only where the device rules must refuse it does
 * the probe write to the host tty's node (where it is allowed, the write would reach the host's console).
 */
function probe(extra: string[] = [], hostTtyWrite = true): string {
  const { major, minor } = disk!;
  return [
    CHECK,
    'mkdir -p /tmp; rm -f /tmp/disk /tmp/tty /tmp/fuse',
    `c disk-mknod "mknod /tmp/disk b ${major} ${minor}"`,
    'c disk-read "head -c 1 /tmp/disk"',
    `c tty-mknod "mknod /tmp/tty c ${tty.major} ${tty.minor}"`,
    ...(hostTtyWrite ? ['c tty-open "echo > /tmp/tty"'] : []),
    'c fuse-open "mknod /tmp/fuse c 10 229 && : < /tmp/fuse"',
    'c null "echo x > /dev/null"',
    'c zero "head -c 1 /dev/zero"',
    'c urandom "head -c 1 /dev/urandom"',
    // No controlling terminal without `tty: true`: the device is allowed, the open finds no terminal.
    'c tty ": < /dev/tty"',
    ...extra,
  ].join('\n');
}

/** The probe's lines from the container's log (its first run) and from an exec into it. */
async function run(h: Harness, name: string, fields: Parameters<Harness['spec']>[1] extends infer F ? Omit<F, 'image' | 'command'> : never, extra: string[] = []) {
  const script = probe(extra, !fields.privileged);
  const lines = script.split('\n').length - 2;
  const spec = h.spec(name, { image: h.images.busybox, command: ['sh', '-c', `${script}\nexec sleep 100`], ...fields });
  await h.runtime.createContainer(spec);
  await h.runtime.startContainer(spec.name);
  let log = '';
  for (let i = 0; i < 200 && log.split('\n').filter(Boolean).length < lines; i++) {
    await new Promise((r) => setTimeout(r, 50));
    log = await logText(h.runtime, spec.name);
  }
  const exec = await h.runtime.exec(spec.name, { command: ['sh', '-c', script] });
  await h.runtime.stopContainer(spec.name, { timeout: 1000 });
  return { run: log.split('\n').filter(Boolean), exec: exec.stdout.trim().split('\n') };
}

/** What the default set allows and refuses. */
const DEFAULT = ['disk-mknod=ok', 'disk-read=EPERM', 'tty-mknod=ok', 'tty-open=EPERM', 'fuse-open=EPERM', 'null=ok', 'zero=ok', 'urandom=ok', 'tty=ENXIO'];

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements, requireBlockDevice()) || caveatOf(factory, 'devices'))(`conformance (${factory.name}): devices`, () => {
    const h = useRuntime(factory, 27, 'cd');

    it("lets container root mknod the host's disk and a tty but not open them, in the container and in an exec", async () => {
      const { run: log, exec } = await run(h, 'plain', {});
      expect(log).toEqual(DEFAULT);
      expect(exec).toEqual(DEFAULT);
    });

    it('opens what devices: and device_cgroup_rules: add, and nothing more', async () => {
      const { major, minor } = disk!;
      const { run: log, exec } = await run(
        h,
        'added',
        {
          devices: [
            { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
            { source: '/dev/loop-control', target: '/dev/loop-control', permissions: 'rwm' },
          ],
          deviceCgroupRules: [`b ${major}:${minor} r`],
        },
        ['c fuse-dev ": < /dev/fuse"', 'c loop-control ": < /dev/loop-control"'],
      );
      const expected = DEFAULT.map((l) => (l === 'disk-read=EPERM' ? 'disk-read=ok' : l === 'fuse-open=EPERM' ? 'fuse-open=ok' : l));
      expect(log).toEqual([...expected, 'fuse-dev=ok', 'loop-control=ok']);
      expect(exec).toEqual([...expected, 'fuse-dev=ok', 'loop-control=ok']);
    });

    const cannot = factory.caveat?.('privileged');
    if (cannot) console.warn(`skipped on ${factory.name}: privileged containers (${cannot})`);
    it.skipIf(cannot)('opens the disk in a privileged container', async () => {
      const { run: log, exec } = await run(h, 'priv', { privileged: true });
      expect(log.filter((l) => l.startsWith('disk-'))).toEqual(['disk-mknod=ok', 'disk-read=ok']);
      expect(exec.filter((l) => l.startsWith('disk-'))).toEqual(['disk-mknod=ok', 'disk-read=ok']);
    });
  });
}
