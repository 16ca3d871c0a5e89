/**
 * The seccomp filter on every runtime: an unprivileged container (and an exec into it) cannot use
 * keyrings, bpf, perf events, userfaultfd, mount or user namespaces, while ordinary programs work;
 * cap_add: SYS_ADMIN widens it as Docker does; seccomp=unconfined and privileged lift it; a
 * Docker-format profile file replaces it. A static probe tells EPERM from the filter apart from the
 * answer the same call gets unconfined. Written against the `Runtime` interface only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../../src/testing/requirements.js';
import { buildSeccompProbe, parseProbe, requireProbeCompiler } from '../../src/testing/seccomp-probe.js';
import type { ContainerSpec } from '../../src/runtime/runtime.js';
import { logText, useRuntime } from './harness.js';
import { runtimes } from './runtimes.js';

/** The calls the default profile refuses (the probe's arguments make them fail otherwise with other errors, or succeed). */
const REFUSED = ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'mount', 'unshare-user'];
const PROBE = `/probe/seccomp-probe ${REFUSED.join(' ')} getpid; sed -n 's/^Seccomp:\\t*/seccomp=/p' /proc/self/status; unshare -U true 2>/dev/null; echo unshare-cmd=$?`;

for (const factory of runtimes) {
  describe.skipIf(unmet(...factory.requirements, requireProbeCompiler()))(`conformance (${factory.name}): seccomp`, () => {
    const h = useRuntime(factory, 26, 'cs');
    let dir: string;

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-seccomp-probe-'));
      fs.mkdirSync(path.join(dir, 'bin'));
      buildSeccompProbe(path.join(dir, 'bin', 'seccomp-probe'));
      fs.chmodSync(dir, 0o755);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs `script` in a new container of the busybox image with the probe at /probe; returns its log. */
    async function run(name: string, script: string, fields: Partial<ContainerSpec> = {}): Promise<string> {
      const spec = h.spec(name, {
        image: h.images.busybox,
        command: ['sh', '-c', script],
        mounts: [{ type: 'bind', source: path.join(dir, 'bin'), target: '/probe', readOnly: true }],
        ...fields,
      });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      await h.runtime.waitContainer(spec.name);
      return logText(h.runtime, spec.name);
    }

    it('refuses keyrings, bpf, perf events, userfaultfd, mount and user namespaces with EPERM; ordinary programs work', async () => {
      const out = await run('plain', `${PROBE}; mkdir /tmp/d && echo mkdir=ok; mkdir -p /www && echo hello > /www/index.html && httpd -p 127.0.0.1:8080 -h /www && wget -qO- http://127.0.0.1:8080/ | sed 's/^/http=/'`);
      expect(parseProbe(out)).toEqual({ ...Object.fromEntries(REFUSED.map((c) => [c, 'EPERM'])), getpid: 'ok', seccomp: '2', 'unshare-cmd': '1', mkdir: 'ok', http: 'hello' });
    });

    it('filters an exec into the container the same way', async () => {
      const spec = h.spec('execd', { image: h.images.busybox, command: ['sleep', '60'], mounts: [{ type: 'bind', source: path.join(dir, 'bin'), target: '/probe', readOnly: true }] });
      await h.runtime.createContainer(spec);
      await h.runtime.startContainer(spec.name);
      const r = await h.runtime.exec(spec.name, { command: ['sh', '-c', PROBE] });
      expect(parseProbe(r.stdout)).toEqual({ ...Object.fromEntries(REFUSED.map((c) => [c, 'EPERM'])), getpid: 'ok', seccomp: '2', 'unshare-cmd': '1' });
      await h.runtime.stopContainer(spec.name, { timeout: 1000 });
    });

    it('cap_add: SYS_ADMIN allows unshare and mount, as under Docker (keyrings stay refused)', async () => {
      const out = await run('admin', `${PROBE}; mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && echo mount-cmd=ok`, { capAdd: ['SYS_ADMIN'] });
      const got = parseProbe(out);
      expect(got).toMatchObject({ 'unshare-user': 'ok', 'unshare-cmd': '0', 'mount-cmd': 'ok', seccomp: '2', keyctl: 'EPERM', bpf: 'EINVAL', perf_event_open: 'EFAULT' });
      expect(got.mount).not.toBe('EPERM');
    });

    it('seccomp=unconfined lets every call through', async () => {
      const got = parseProbe(await run('unconfined', PROBE, { securityOpt: ['seccomp=unconfined'] }));
      expect(got.seccomp).toBe('0');
      for (const c of REFUSED.filter((c) => c !== 'mount' && c !== 'unshare-user')) expect(got[c], c).not.toBe('EPERM');
      expect(got.keyctl).toBe('ok');
    });

    const cannot = factory.caveat?.('privileged');
    if (cannot) console.warn(`skipped on ${factory.name}: privileged containers (${cannot})`);
    it.skipIf(cannot)('privileged: true runs without a filter', async () => {
      expect(parseProbe(await run('privileged', PROBE, { privileged: true }))).toMatchObject({ seccomp: '0', keyctl: 'ok', 'unshare-user': 'ok' });
    });

    it('a Docker-format profile file replaces the default: one that refuses mkdir makes mkdir fail, and allows keyctl', async () => {
      const profile = path.join(dir, 'no-mkdir.json');
      fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
      const got = parseProbe(await run('custom', `${PROBE}; mkdir /tmp/d; echo mkdir-cmd=$?; echo x > /tmp/f && echo write=ok`, { securityOpt: [`seccomp=${profile}`] }));
      expect(got).toMatchObject({ seccomp: '2', 'mkdir-cmd': '1', write: 'ok', keyctl: 'ok' });
    });
  });
}
