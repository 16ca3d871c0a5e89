import { describe, expect, it } from 'vitest';
import type { Stack } from '../../../config/model.js';
import type { CgroupLayout } from '../cgroups/detect.js';
import { defaultRoot } from '../store/store-paths.js';
import { idMaps, subordinateRange } from './id-maps.js';
import { delegatedLayout, unappliedLimitsNote, type DelegationProbe } from './rootless-cgroups.js';
import { subtreeWrites } from '../cgroups/limits.js';
import { userDataRoot, userRuntimeDir } from './rootless-paths.js';
import { hostUid, inUserNamespace, isRootless } from './user-namespace.js';
import { userNamespacesUnavailable } from './userns-probe.js';

const HOST_MAP = '         0          0 4294967295\n';
const USER_MAP = '         0       1001          1\n         1     100000      65536\n';

describe('who hafen runs for, from /proc/self/uid_map', () => {
  it.each([
    ['the host root', HOST_MAP, 0, false, 0, false],
    ['a user on the host', HOST_MAP, 1001, false, 1001, true],
    ["a user inside hafen's namespace (uid 0 there)", USER_MAP, 0, true, 1001, true],
    ["an image's uid 1000 inside it", USER_MAP, 1000, true, 100999, true],
    ['no /proc (not Linux)', undefined, 501, false, 501, true],
  ] as const)('%s', (_, map, uid, inside, host, rootless) => {
    expect(inUserNamespace(() => map)).toBe(inside);
    expect(hostUid(() => map, uid)).toBe(host);
    expect(isRootless(() => map, uid)).toBe(rootless);
  });
});

describe('where a user without root keeps its files', () => {
  it('state under XDG_DATA_HOME/hafen (else ~/.local/share/hafen), HAFEN_ROOT first, /var/lib/hafen for root', () => {
    expect(defaultRoot({ XDG_DATA_HOME: '/home/u/data' }, true)).toBe('/home/u/data/hafen');
    expect(defaultRoot({ HOME: '/home/u' }, true)).toBe('/home/u/.local/share/hafen');
    expect(defaultRoot({ HOME: '/home/u', XDG_DATA_HOME: 'relative' }, true)).toBe('/home/u/.local/share/hafen'); // the spec ignores relative values
    expect(defaultRoot({ HAFEN_ROOT: '/srv/h', XDG_DATA_HOME: '/home/u/data' }, true)).toBe('/srv/h');
    expect(defaultRoot({ XDG_DATA_HOME: '/home/u/data' }, false)).toBe('/var/lib/hafen');
    expect(userDataRoot({ XDG_DATA_HOME: '/x' })).toBe('/x/hafen');
  });

  it('the holder record under XDG_RUNTIME_DIR/hafen, else a folder of the uid in the temp folder', () => {
    expect(userRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1001' }, 1001)).toBe('/run/user/1001/hafen');
    expect(userRuntimeDir({}, 1001)).toMatch(/\/hafen-1001$/);
  });
});

describe('id maps of the user namespace', () => {
  const subuid = 'other:200000:65536\nhafen-rootless:100000:65536\n';
  const facts = { uid: 1001, gid: 100, userName: 'hafen-rootless', subuid, subgid: subuid, helpers: true };

  it('finds a user by name or by uid, and only a usable range', () => {
    expect(subordinateRange(subuid, { name: 'hafen-rootless', id: 1001 })).toEqual({ start: 100000, count: 65536 });
    expect(subordinateRange('1001:5000:10\n', { name: 'x', id: 1001 })).toEqual({ start: 5000, count: 10 });
    expect(subordinateRange('x:5000:0\n', { name: 'x', id: 1 })).toBeUndefined();
  });

  it('maps the user to 0 and its subordinate ids to 1..N', () => {
    expect(idMaps(facts)).toEqual({
      uids: [
        { inside: 0, outside: 1001, count: 1 },
        { inside: 1, outside: 100000, count: 65536 },
      ],
      gids: [
        { inside: 0, outside: 100, count: 1 },
        { inside: 1, outside: 100000, count: 65536 },
      ],
    });
  });

  it('falls back to the user alone, with one line saying why and what that limits', () => {
    const noHelpers = idMaps({ ...facts, helpers: false });
    expect(noHelpers.uids).toEqual([{ inside: 0, outside: 1001, count: 1 }]);
    expect(noHelpers.limited).toBe(
      'newuidmap/newgidmap are missing (Debian package uidmap): only your own ids are mapped; files of images owned by any other id cannot be unpacked, and containers can only run as uid 0',
    );
    expect(idMaps({ ...facts, subgid: 'other:1:2\n' }).limited).toMatch(/^hafen-rootless has no subordinate ids in \/etc\/subuid and \/etc\/subgid: only your own ids are mapped; /);
  });
});

describe('cgroups of a user without root', () => {
  const layout: CgroupLayout = {
    controllers: { memory: { version: 1, mount: '/cg/memory' }, cpu: { version: 1, mount: '/cg/cpu' }, cpuacct: { version: 1, mount: '/cg/cpu' }, pids: { version: 1, mount: '/cg/pids' }, devices: undefined, freezer: undefined },
    v1Mounts: ['/cg/memory', '/cg/cpu', '/cg/pids'],
  };

  /** A fake host: the folders (and files) this user may write, and each v2 folder's cgroup.controllers. */
  const probe = (writable: string[], extra: Partial<DelegationProbe> = {}): DelegationProbe => ({ uid: 1001, writable: (f) => writable.includes(f), v2Controllers: () => [], ...extra });
  const kept = (l: CgroupLayout) => Object.fromEntries(Object.entries(l.controllers).filter(([, m]) => m).map(([c, m]) => [c, m!.mount]));

  it('v1: uses <hierarchy>/hafen-<uid> that root gave the user, never root\'s <hierarchy>/hafen', () => {
    expect(kept(delegatedLayout(layout, probe(['/cg/memory/hafen-1001', '/cg/pids/hafen'])))).toEqual({ memory: '/cg/memory/hafen-1001' });
    expect(kept(delegatedLayout(layout, probe(['/cg/memory/hafen', '/cg/cpu/hafen', '/cg/pids/hafen'])))).toEqual({});
  });

  it('v1: HAFEN_CGROUP_PARENT names the folder under each hierarchy (not an absolute path, not outside the mount)', () => {
    const given = probe(['/cg/memory/hafen-alice', '/cg/cpu/hafen-alice', '/cg/pids/hafen-alice', '/cg/memory/hafen-1001'], { parent: 'hafen-alice' });
    expect(kept(delegatedLayout(layout, given))).toEqual({ memory: '/cg/memory/hafen-alice', cpu: '/cg/cpu/hafen-alice', cpuacct: '/cg/cpu/hafen-alice', pids: '/cg/pids/hafen-alice' });
    expect(kept(delegatedLayout(layout, probe(['/cg/memory/hafen-alice'], { parent: '/cg/memory/hafen-alice' })))).toEqual({});
    expect(kept(delegatedLayout(layout, probe(['/cg/x'], { parent: '../x' })))).toEqual({});
  });

  it('never hands a user the devices controller (device rules need privilege), even where its folder is writable', () => {
    const withDevices: CgroupLayout = { ...layout, controllers: { ...layout.controllers, devices: { version: 1, mount: '/cg/devices' } } };
    expect(kept(delegatedLayout(withDevices, probe(['/cg/devices/hafen-1001', '/cg/memory/hafen-1001'])))).toEqual({ memory: '/cg/memory/hafen-1001' });
  });

  describe('cgroup v2', () => {
    const v2 = { version: 2, mount: '/cg2' } as const;
    const unified: CgroupLayout = { controllers: { memory: v2, cpu: v2, cpuacct: v2, pids: v2, devices: v2, freezer: v2 }, v2Mount: '/cg2', v1Mounts: [] };
    const service = '/cg2/user.slice/user-1001.slice/user@1001.service';
    const writable = [`${service}/app.slice`, `${service}/app.slice/cgroup.subtree_control`, service, `${service}/cgroup.subtree_control`, `${service}/app.slice/run-1.scope`, `${service}/app.slice/run-1.scope/cgroup.subtree_control`];
    const session = probe(writable, { selfCgroup: '/user.slice/user-1001.slice/user@1001.service/app.slice/run-1.scope', v2Controllers: (dir) => (dir.startsWith(service) ? ['memory', 'pids'] : []) });

    it('takes the nearest writable ancestor of its own cgroup (not the cgroup it runs in), with the controllers it may enable', () => {
      const l = delegatedLayout(unified, session);
      expect(kept(l)).toEqual({ memory: `${service}/app.slice`, cpuacct: `${service}/app.slice`, pids: `${service}/app.slice`, freezer: `${service}/app.slice` });
      expect(l.v2Mount).toBe(`${service}/app.slice`);
      // The `+controller` writes then start at that ancestor, never at the mount's root.
      expect(subtreeWrites(l, 'hafen/shop/db').map((w) => w.dir)).toEqual([`${service}/app.slice`, `${service}/app.slice/hafen`, `${service}/app.slice/hafen/shop`]);
    });

    it('needs a writable cgroup.subtree_control, and finds nothing in a session scope of root\'s', () => {
      expect(kept(delegatedLayout(unified, { ...session, writable: (f) => writable.includes(f) && !f.startsWith(`${service}/app.slice/`) && f !== `${service}/app.slice` && f !== `${service}/cgroup.subtree_control` }))).toEqual({});
      expect(kept(delegatedLayout(unified, { ...session, selfCgroup: '/user.slice/user-1001.slice/session-3.scope' }))).toEqual({});
    });

    it('takes HAFEN_CGROUP_PARENT as an absolute path or a path under the mount', () => {
      expect(kept(delegatedLayout(unified, { ...session, parent: service })).memory).toBe(service);
      expect(kept(delegatedLayout(unified, { ...session, parent: 'user.slice/user-1001.slice/user@1001.service' })).pids).toBe(service);
      expect(kept(delegatedLayout(unified, { ...session, parent: '/elsewhere' }))).toEqual({});
    });
  });

  it('names the services and the limits that go unapplied, in one line, with what to do', () => {
    const stack = { services: { db: { resources: { memory: 1 << 26, pids: 100 } }, web: { resources: {} }, api: { resources: { cpus: 0.5 } } } } as unknown as Stack;
    const none = delegatedLayout(layout, probe([]));
    expect(unappliedLimitsNote(stack, ['db', 'web', 'api'], none, 1001)).toBe(
      'warning: limits not applied to db (memory, pids), api (cpus): a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/hafen-1001 for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes)',
    );
    expect(unappliedLimitsNote(stack, ['db'], delegatedLayout(layout, probe(['/cg/memory/hafen-1001', '/cg/pids/hafen-1001'])), 1001)).toBeUndefined();
    expect(unappliedLimitsNote(stack, ['web'], none, 1001)).toBeUndefined();
  });
});

describe('whether user namespaces may be used', () => {
  it('reads the kernel switches', () => {
    expect(userNamespacesUnavailable(() => undefined)).toBeUndefined();
    expect(userNamespacesUnavailable((f) => (f === '/proc/sys/user/max_user_namespaces' ? '0' : '1'))).toBe('user namespaces are disabled (user.max_user_namespaces = 0)');
    expect(userNamespacesUnavailable((f) => (f.endsWith('apparmor_restrict_unprivileged_userns') ? '1' : undefined))).toMatch(/^AppArmor restricts/);
    expect(userNamespacesUnavailable((f) => (f.endsWith('unprivileged_userns_clone') ? '1' : '15000'))).toBeUndefined();
  });
});
