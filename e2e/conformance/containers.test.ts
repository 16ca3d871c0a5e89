/**
 * Containers as a user sees them, on every runtime: output and exit codes, isolation, memory and
 * CPU limits, stop and kill, exec, volumes. Written against the `Runtime` interface only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unmet } from '../../src/testing/requirements.js';
import { caveatOf, eventually, logText, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements))(`conformance (${factory.name}): containers`, () => {
    const h = useRuntime(factory, 0, 'cc');

    it('shows the output of a command and its exit code', async () => {
      const { runtime } = h;
      const spec = h.spec('hi', { image: h.images.busybox, command: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'] });
      const created = await runtime.createContainer(spec);
      expect(created).toMatchObject({ name: spec.name, state: 'created', labels: spec.labels });
      await runtime.startContainer(spec.name);
      expect(await runtime.waitContainer(spec.name)).toEqual({ exitCode: 3, oomKilled: false });
      const lines = [];
      for await (const l of runtime.logs(spec.name)) lines.push(l);
      const shown = lines.map((l) => `${l.stream} ${l.text}`);
      if (factory.caveat?.('stream-order')) expect(shown.sort()).toEqual(['stderr oops', 'stdout hi']);
      else expect(shown).toEqual(['stdout hi', 'stderr oops']);
      expect(Date.parse(lines[0]!.time)).toBeGreaterThan(Date.now() - 60_000);
      expect(await runtime.inspectContainer(spec.name)).toMatchObject({ state: 'exited', exitCode: 3, oomKilled: false });
      expect((await runtime.listContainers(h.labels())).map((c) => c.name)).toEqual([spec.name]);
    });

    it('shows a container only its own processes and files', async () => {
      const marker = path.join('/tmp', `hafen-conformance-marker-${process.pid}-${Date.now()}`);
      fs.writeFileSync(marker, 'host');
      try {
        const spec = h.spec('iso', {
          image: h.images.busybox,
          command: ['sh', '-c', `ls /proc | grep -c '^[0-9]'; test -e ${marker} && echo visible || echo hidden; ps -o pid | sed 1d | head -1`],
        });
        await h.runtime.createContainer(spec);
        await h.runtime.startContainer(spec.name);
        expect(await h.runtime.waitContainer(spec.name)).toMatchObject({ exitCode: 0 });
        const [count, file, firstPid] = (await logText(h.runtime, spec.name)).split('\n').map((l) => l.trim());
        expect(Number(count)).toBeLessThanOrEqual(5); // init, sh, ls, grep (the host has hundreds)
        expect(file).toBe('hidden');
        expect(firstPid).toBe('1');
      } finally {
        fs.rmSync(marker, { force: true });
      }
    });

    it.skipIf(caveatOf(factory, 'cgroup-limits'))('OOM-kills a memory hog at its limit and says so', async () => {
      const spec = h.spec('hog', {
        image: h.images.busybox,
        resources: { memory: 32 * 1024 * 1024 },
        command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'],
      });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      const status = await h.runtime.waitContainer(spec.name);
      expect(status.oomKilled).toBe(true);
      expect(status.exitCode).not.toBe(0);
      expect(await h.runtime.inspectContainer(spec.name)).toMatchObject({ state: 'exited', oomKilled: true });
      expect(await logText(h.runtime, spec.name)).not.toContain('survived');
    });

    it.skipIf(caveatOf(factory, 'cgroup-limits'))('holds a CPU hog at cpus 0.5 to about half a core', async () => {
      const spec = h.spec('spin', { image: h.images.busybox, resources: { cpus: 0.5 }, command: ['sh', '-c', 'while :; do :; done'] });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      await new Promise((r) => setTimeout(r, 300));
      const a = await h.runtime.stats(spec.name);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 1500));
      const b = await h.runtime.stats(spec.name);
      const cores = (b.cpuNanos - a.cpuNanos) / ((performance.now() - t0) * 1e6);
      expect(cores).toBeGreaterThan(0.3);
      expect(cores).toBeLessThan(0.7);
      expect(b.pids).toBeGreaterThanOrEqual(1);
      await h.runtime.killContainer(spec.name);
      expect(await h.runtime.inspectContainer(spec.name)).toMatchObject({ state: 'exited', exitCode: 137 });
    });

    it('stops a program that handles SIGTERM at once, and kills one that ignores it after its grace period', async () => {
      const server = h.spec('polite', {
        image: h.images.node,
        command: ['node', '-e', "process.on('SIGTERM', () => process.exit(0)); require('http').createServer().listen(8080, () => console.log('listening'))"],
      });
      await h.runtime.createContainer(server);
      await h.runtime.startContainer(server.name);
      await eventually(async () => (await logText(h.runtime, server.name)).includes('listening'), 10_000, 'server listening');
      let t0 = performance.now();
      await h.runtime.stopContainer(server.name);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(await h.runtime.inspectContainer(server.name)).toMatchObject({ state: 'exited', exitCode: 0 });

      const stubborn = h.spec('stubborn', { image: h.images.busybox, stopGracePeriod: 1000, command: ['sh', '-c', 'trap "" TERM; echo trapped; sleep 100'] });
      await h.runtime.createContainer(stubborn);
      await h.runtime.startContainer(stubborn.name);
      await eventually(async () => (await logText(h.runtime, stubborn.name)).includes('trapped'), 10_000, 'trap set');
      t0 = performance.now();
      await h.runtime.stopContainer(stubborn.name);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(5000);
      expect(await h.runtime.inspectContainer(stubborn.name)).toMatchObject({ state: 'exited', exitCode: 137 });
    });

    it('runs exec inside the container, with its hostname and environment, and returns the exit code', async () => {
      const spec = h.spec('shell', { image: h.images.busybox, hostname: 'exechost', env: { GREETING: 'hello' }, command: ['sleep', '100'] });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      const r = await h.runtime.exec(spec.name, { command: ['sh', '-c', 'hostname; echo $GREETING $EXTRA; echo err >&2; exit 4'], env: { EXTRA: 'there' } });
      expect(r).toEqual({ exitCode: 4, stdout: 'exechost\nhello there\n', stderr: 'err\n' });
      await expect(h.runtime.exec(`${h.project}-nothere`, { command: ['true'] })).rejects.toThrow(/no such container/);
      await h.runtime.stopContainer(spec.name, { timeout: 2000 });
      await expect(h.runtime.exec(spec.name, { command: ['true'] })).rejects.toThrow(/not running/);
    });

    it('keeps named volume data across containers, binds host folders and mounts tmpfs', async () => {
      const vol = `${h.project}_data`;
      await h.runtime.createVolume({ name: vol, labels: h.labels() });
      const hostDir = h.tempDir('bind-');
      fs.writeFileSync(path.join(hostDir, 'from-host'), 'host file\n');
      const writer = h.spec('writer', {
        image: h.images.busybox,
        mounts: [
          { type: 'volume', source: vol, target: '/data', readOnly: false },
          { type: 'bind', source: hostDir, target: '/host', readOnly: true },
          { type: 'tmpfs', target: '/scratch' },
        ],
        command: ['sh', '-c', 'echo kept > /data/file; cat /host/from-host; touch /host/x 2>/dev/null || echo read-only; grep -c " /scratch tmpfs" /proc/mounts'],
      });
      await h.runtime.createContainer(writer);
      await h.runtime.startContainer(writer.name);
      expect(await h.runtime.waitContainer(writer.name)).toMatchObject({ exitCode: 0 });
      expect(await logText(h.runtime, writer.name)).toBe('host file\nread-only\n1');

      const reader = h.spec('reader', { image: h.images.busybox, mounts: [{ type: 'volume', source: vol, target: '/data', readOnly: true }], command: ['cat', '/data/file'] });
      await h.runtime.createContainer(reader);
      await h.runtime.startContainer(reader.name);
      expect(await h.runtime.waitContainer(reader.name)).toMatchObject({ exitCode: 0 });
      expect(await logText(h.runtime, reader.name)).toBe('kept');
      expect(await h.runtime.listVolumes(h.labels())).toEqual([vol]);
      await expect(h.runtime.removeVolume(vol)).rejects.toThrow(/in use/);
    });

    it('runs as the image user named in the spec, with a read-only root when asked', async () => {
      const spec = h.spec('user', {
        image: h.images.busybox,
        user: 'app',
        readOnly: true,
        mounts: [{ type: 'tmpfs', target: '/work' }],
        command: ['sh', '-c', 'id -u; id -G; echo $HOME; touch /x 2>/dev/null && echo root-writable || echo root-read-only; touch /work/y && echo tmpfs-writable'],
      });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      expect(await h.runtime.waitContainer(spec.name)).toMatchObject({ exitCode: 0 });
      expect(await logText(h.runtime, spec.name)).toBe('1000\n1000 50\n/home/app\nroot-read-only\ntmpfs-writable');
    });

    it('reports health from the container healthcheck', async () => {
      const spec = h.spec('checked', {
        image: h.images.busybox,
        healthcheck: { test: ['CMD-SHELL', 'test -e /tmp/ready'], interval: 100, timeout: 2000, retries: 3, start_period: 0, start_interval: 100 },
        command: ['sleep', '100'],
      });
      await h.runtime.createContainer(spec);
      const info = await h.runtime.startContainer(spec.name);
      expect(info.health).toBe('starting');
      await h.runtime.exec(spec.name, { command: ['touch', '/tmp/ready'] });
      await eventually(async () => (await h.runtime.inspectContainer(spec.name))?.health === 'healthy', 10_000, 'healthy');
      await h.runtime.exec(spec.name, { command: ['rm', '/tmp/ready'] });
      await eventually(async () => (await h.runtime.inspectContainer(spec.name))?.health === 'unhealthy', 10_000, 'unhealthy');
    });

    it('starts an exited container again with its files and logs, and removes a running one only with force', async () => {
      const once = h.spec('again', { image: h.images.busybox, command: ['sh', '-c', 'echo run $(cat /count 2>/dev/null); echo x >> /count'] });
      await h.runtime.createContainer(once);
      for (let i = 0; i < 2; i++) {
        await h.runtime.startContainer(once.name);
        expect(await h.runtime.waitContainer(once.name)).toMatchObject({ exitCode: 0 });
      }
      expect(await logText(h.runtime, once.name)).toBe('run\nrun x');

      const sleeper = h.spec('sleeper', { image: h.images.busybox, command: ['sleep', '100'] });
      await h.runtime.createContainer(sleeper);
      await h.runtime.startContainer(sleeper.name);
      await expect(h.runtime.removeContainer(sleeper.name)).rejects.toThrow(/running/);
      await h.runtime.removeContainer(sleeper.name, { force: true });
      expect(await h.runtime.inspectContainer(sleeper.name)).toBeUndefined();
    });

    it('reports a command that cannot run, naming the container and the command', async () => {
      const spec = h.spec('typo', { image: h.images.busybox, command: ['no-such-command', '--flag'] });
      await h.runtime.createContainer(spec);
      const err = await h.runtime.startContainer(spec.name).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`${spec.name}.*no-such-command`));
      expect((await h.runtime.inspectContainer(spec.name))?.state).not.toBe('running');
    });

    it('refuses a bind whose source is missing, as the engine\'s Mount API does, and makes nothing', async () => {
      const missing = path.join(h.setup.root, `no-such-${h.project}`, 'data');
      const spec = h.spec('nobind', { image: h.images.busybox, mounts: [{ type: 'bind', source: missing, target: '/data', readOnly: false }], command: ['true'] });
      await expect(h.runtime.createContainer(spec)).rejects.toThrow(/does not exist/);
      expect(fs.existsSync(missing)).toBe(false);
      expect(await h.runtime.inspectContainer(spec.name)).toBeUndefined();
    });

    it('refuses an unknown image, naming it and how to get it', async () => {
      const spec = h.spec('missing', { image: 'no-such-image:1.0', command: ['true'] });
      await expect(h.runtime.createContainer(spec)).rejects.toThrow(/no-such-image:1\.0/);
      expect(await h.runtime.inspectContainer(spec.name)).toBeUndefined();
    });
  });
}
