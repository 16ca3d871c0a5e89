/**
 * Compose's process and confinement keys through the built CLI, on the embedded runtime and on
 * Docker, each observed from inside the containers (or in their cgroup files): ulimits, shm_size,
 * sysctls, ipc/pid shared with another service, uts: host, init, cap_add/cap_drop in any spelling,
 * devices, security_opt no-new-privileges:false, read_only, group_add, tty, stdin_open, oom_score_adj, a
 * numeric stop_signal, the cgroup tunings. Keys the embedded runtime cannot honour are refused by
 * `up` (exit 2, file:line:col, the key, what to do) before anything is made. Nothing is left after.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import type { CliResult } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const SLEEP = `trap 'exit 0' TERM; sleep 600 & wait`;

/** The stack under test; `IMAGE` is the busybox test image of the runtime. */
const STACK = (image: string) => `services:
  base:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    init: true
    ipc: shareable
    shm_size: 128m
    sysctls: {kernel.shmmni: "1234"}
  probe:
    image: ${image}
    command: ["sh", "-c", "echo nofile=$$(ulimit -n):$$(ulimit -Hn) core=$$(ulimit -c); echo oom=$$(cat /proc/self/oom_score_adj); echo groups=$$(id -G); sed -n 's/^CapEff:\\\\t*/caps=/p; s/^NoNewPrivs:\\\\t*/nnp=/p' /proc/self/status; [ -t 1 ] && echo tty=yes; ${SLEEP}"]
    ipc: service:base
    pid: "service:base"
    ulimits: {nofile: {soft: 1000, hard: 2000}, core: 0}
    sysctls: ["net.ipv4.ip_unprivileged_port_start=80"]
    cap_add: [net_admin]
    cap_drop: [CAP_CHOWN]
    security_opt: ["no-new-privileges:false"]
    group_add: [staff, 4242]
    oom_score_adj: 300
    devices: ["/dev/zero:/dev/myzero"]
    read_only: true
    tty: true
  hostuts:
    image: ${image}
    command: ["sh", "-c", "hostname; ${SLEEP}"]
    uts: host
  stopper:
    image: ${image}
    command: ["sh", "-c", "trap 'echo got USR1; exit 0' USR1; echo ready; sleep 600 & wait"]
    stop_signal: "10"
  stdin:
    image: ${image}
    command: ["sh", "-c", "read x; echo stdin closed"]
    stdin_open: true
  tuned:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    mem_limit: 64m
    memswap_limit: 128m
    mem_reservation: 32m
    mem_swappiness: 10
    cpu_shares: 512
    cpu_period: 50000
    cpu_quota: 25000
`;

/** Each runtime, where a container's cgroup files are, and the name of its init process. */
const targets = cliTargets('10.241.0.0/16:24').map((t) => ({
  ...t,
  cgroupDir: (controller: string, project: string, container: string): string => {
    if (t.name === 'embedded') return `/sys/fs/cgroup/${controller}/hafen/${project}/${container}`;
    const id = execFileSync('docker', ['inspect', '-f', '{{.Id}}', container], { encoding: 'utf8' }).trim();
    return `/sys/fs/cgroup/${controller}/docker/${id}`;
  },
  initComm: t.name === 'embedded' ? 'hafen-init' : 'docker-init',
}));

/** cgroup v1 with memory and cpu controllers, as on these machines; the cgroup file checks need it. */
const v1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && fs.existsSync('/sys/fs/cgroup/cpu/cpu.shares');

for (const target of targets) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`process keys on the ${target.name} runtime`, () => {
    let dir: string;
    let file: string;
    let image: string;
    const projects: string[] = [];

    const run = (project: string, args: string[], opts: { file?: string } = {}): CliResult => stackOn(target, dir, opts.file ?? file, project, args);
    const newProject = (): string => {
      const p = `px${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };
    const exec = (p: string, service: string, script: string): string => {
      const r = run(p, ['exec', service, 'sh', '-c', script]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.replaceAll('\r', '').trim();
    };
    /** The `key=value` lines a service printed, as a record. */
    const printed = (p: string, service: string): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const line of run(p, ['logs', '--no-log-prefix', service]).stdout.replaceAll('\r', '').split('\n')) {
        for (const [, k, v] of line.matchAll(/(\w+)=(\S+(?: \S+)*?)(?= \w+=|$)/g)) out[k!] = v!;
      }
      return out;
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-proc-${target.name}-`));
      image = await target.setup(dir);
      file = path.join(dir, 'stack.yaml');
      fs.writeFileSync(file, STACK(image));
    }, 120_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        run(p, ['down', '-v']);
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
      }
    }, 120_000);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('honours every key, as seen from inside the containers', async () => {
      const p = newProject();
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);

      // The main process of probe: rlimits, OOM preference, groups, capabilities, no_new_privs, a tty.
      let seen: Record<string, string> = {};
      for (let i = 0; i < 100 && !seen.tty; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = printed(p, 'probe');
      }
      // a80425fb is Docker's default set; + NET_ADMIN (bit 12) - CHOWN (bit 0).
      expect(seen).toEqual({ nofile: '1000:2000', core: '0', oom: '300', groups: '0 50 4242', caps: '00000000a80435fa', nnp: '0', tty: 'yes' });

      // ipc and pid shared with base: the same namespaces, base's IPC sysctl, base's init as PID 1.
      const nsOf = (service: string) => exec(p, service, 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; cat /proc/sys/kernel/shmmni /proc/1/comm');
      expect(nsOf('probe')).toBe(nsOf('base'));
      expect(nsOf('base').split('\n').slice(2)).toEqual(['1234', target.initComm]);

      // Its own network namespace took its net sysctl; the device is there; the root is read-only.
      expect(exec(p, 'probe', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start; test -c /dev/myzero && head -c 2 /dev/myzero | od -An -tx1; touch /x 2>/dev/null || echo read-only')).toBe('80\n 00 00\nread-only');
      expect(exec(p, 'base', "df -k /dev/shm | tail -1 | awk '{print $2}'")).toBe('131072');
      expect(exec(p, 'hostuts', 'hostname')).toBe(os.hostname());

      // The cgroup of tuned, as the kernel holds it.
      if (v1) {
        const container = `${p}-tuned-1`;
        const read = (controller: string, f: string) => fs.readFileSync(path.join(target.cgroupDir(controller, p, container), f), 'utf8').trim();
        expect({
          limit: read('memory', 'memory.limit_in_bytes'),
          memsw: read('memory', 'memory.memsw.limit_in_bytes'),
          soft: read('memory', 'memory.soft_limit_in_bytes'),
          swappiness: read('memory', 'memory.swappiness'),
          shares: read('cpu', 'cpu.shares'),
          period: read('cpu', 'cpu.cfs_period_us'),
          quota: read('cpu', 'cpu.cfs_quota_us'),
        }).toEqual({ limit: String(64 << 20), memsw: String(128 << 20), soft: String(32 << 20), swappiness: '10', shares: '512', period: '50000', quota: '25000' });
      }

      // stdin_open: its stdin stays open, so `read` still waits.
      const states = JSON.parse(run(p, ['ps', '--json']).stdout) as { service: string; state: string }[];
      expect(states.find((c) => c.service === 'stdin')?.state).toBe('running');
      expect(run(p, ['logs', 'stdin']).stdout).not.toContain('stdin closed');

      // stop_signal "10" (SIGUSR1) is what stop sends.
      expect(run(p, ['stop', 'stopper']).code).toBe(0);
      expect(run(p, ['logs', '--no-log-prefix', 'stopper']).stdout).toContain('got USR1');
    }, 180_000);

    if (target.name === 'embedded') {
      it('refuses what the embedded runtime cannot honour before anything is made', () => {
        const p = newProject();
        const refused = path.join(dir, 'refused.yaml');
        fs.writeFileSync(refused, `services:\n  app:\n    image: busybox:latest\n    cpuset: "0"\n    security_opt: [seccomp=unconfined, apparmor=myprofile]\n`);
        const r = run(p, ['up', '-d'], { file: refused });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${refused}:4:5 services.app.cpuset: cpuset is not supported on the embedded runtime`);
        expect(r.stderr).toContain('remove it, or use --runtime docker');
        expect(r.stderr).toMatch(/refused\.yaml:5:\d+ services\.app\.security_opt: "apparmor=myprofile" cannot be honoured on the embedded runtime/);
        expect(target.leftovers(p)).toEqual([]);
        // `config` reads the file all the same.
        expect(run(p, ['config', '-q'], { file: refused }).code).toBe(0);
      }, 60_000);

      it('checks only the services the command starts: `up SERVICE` leaves the others\' keys alone', () => {
        const p = newProject();
        const mixed = path.join(dir, 'mixed.yaml');
        fs.writeFileSync(
          mixed,
          `services:\n  app:\n    image: busybox:latest\n    cpuset: "0"\n  ok:\n    image: ${image}\n    command: ["sh", "-c", "${SLEEP}"]\n` +
            `  tool:\n    image: busybox:latest\n    profiles: [tools]\n    cpuset: "0"\n`,
        );
        const one = run(p, ['up', '-d', 'ok'], { file: mixed });
        expect(one.code, one.stderr).toBe(0);
        expect(one.stderr).not.toContain('cpuset');
        // Without names: every service whose profile is on (tool's is off), so app is refused and tool is not named.
        const all = run(p, ['up', '-d'], { file: mixed });
        expect(all.code).toBe(2);
        expect(all.stderr).toContain(`${mixed}:4:5 services.app.cpuset:`);
        expect(all.stderr).not.toContain('services.tool.cpuset');
        expect(run(p, ['down'], { file: mixed }).code).toBe(0);
      }, 90_000);

      it('refuses a sysctl that is not namespaced in config, naming it', () => {
        const p = newProject();
        const bad = path.join(dir, 'bad.yaml');
        fs.writeFileSync(bad, `services:\n  app:\n    image: busybox:latest\n    sysctls:\n      vm.swappiness: 10\n`);
        const r = run(p, ['config'], { file: bad });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${bad}:5:22 services.app.sysctls.vm.swappiness: sysctl "vm.swappiness" is not namespaced`);
      }, 60_000);
    }
  });
}
