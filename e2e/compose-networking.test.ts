/**
 * Compose's networking keys through the built CLI, on the embedded runtime and on Docker, as a user
 * sees them from inside the containers: `network_mode` none (loopback only), host (the host's own
 * interfaces and routes), `service:X` (X's address, X's ports on localhost); a custom network name
 * and an external network (made by the test, kept by `down`, a missing one refused before anything
 * starts); dns, dns_search and dns_opt in /etc/resolv.conf; `host-gateway`; a fixed MAC and IPv4
 * address; published ports on 127.0.0.1 unless `--publish-all-interfaces`. After each test nothing
 * of its projects is left (no container, netns, veth, bridge, network or volume).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/runtime.js';
import { EmbeddedRuntime } from '../src/runtime/embedded/embedded-runtime.js';
import { unmet } from '../src/testing/requirements.js';
import { cliPath, type CliResult } from './cli.js';
import { dockerLeaks, runtimeNamed } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

/** What differs per runtime: how the external network is made and found, and which subnet the test may use. */
interface Target {
  name: 'embedded' | 'docker';
  /** Second octet of the test's fixed subnets. */
  octet: number;
  networkExists(root: string, name: string): Promise<boolean>;
  createExternal(name: string, run: Runner): void;
  removeExternal(name: string, run: Runner): void;
  leaks(project: string, root: string): string[];
}

type Runner = (project: string, args: string[], opts?: { file?: string; progress?: string }) => CliResult;

const targets: Target[] = [
  {
    name: 'embedded',
    octet: 241,
    networkExists: async (root, name) => (await new EmbeddedRuntime({ root }).listNetworks({})).includes(name),
    // An embedded network lives in a project: another stack (the "owner") makes it under its own name.
    createExternal: (name, run) => {
      const r = run(`${name}-owner`, ['up', '-d'], { file: ownerFile(name) });
      if (r.code !== 0) throw new Error(r.stderr);
    },
    removeExternal: (name, run) => void run(`${name}-owner`, ['down', '-v'], { file: ownerFile(name) }),
    leaks: (project, root) => [...stackLeftovers(project, root), ...stackLeftovers(`${project}-owner`, root)],
  },
  {
    name: 'docker',
    octet: 242,
    networkExists: async (_root, name) => spawnSync('docker', ['network', 'inspect', name]).status === 0,
    createExternal: (name) => void execFileSync('docker', ['network', 'create', name]),
    removeExternal: (name) => void spawnSync('docker', ['network', 'rm', name]),
    leaks: (project) => dockerLeaks(project),
  },
];

let images: Record<string, string> = {};
let dir: string;


/** The owner stack of an embedded external network. */
function ownerFile(name: string): string {
  const file = path.join(dir, `owner-${name}.yaml`);
  fs.writeFileSync(file, `services:\n  holder:\n    image: ${images.embedded}\n    command: ["sleep", "600"]\n    networks: [shared]\nnetworks:\n  shared: {name: ${name}}\n`);
  return file;
}

/** The host's interface names and its default route's interface, from /proc. */
function hostNetworking(): { interfaces: string[]; defaultVia: string | undefined } {
  return { interfaces: interfacesOf(fs.readFileSync('/proc/net/dev', 'utf8')), defaultVia: defaultRouteOf(fs.readFileSync('/proc/net/route', 'utf8')) };
}
function interfacesOf(procNetDev: string): string[] {
  return procNetDev.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean).sort();
}
function defaultRouteOf(procNetRoute: string): string | undefined {
  return procNetRoute.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-compose-net-'));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const target of targets) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements))(`compose networking on the ${target.name} runtime`, () => {
    let root: string;
    const projects: string[] = [];
    // The third octet differs per run, so two runs of this file on one machine do not claim one subnet.
    const third = 64 + randomBytes(1)[0]! % 128;
    const net = (last: number) => `10.${target.octet}.${third}.${last}`;

    const run: Runner = (project, args, opts = {}) => {
      const r = spawnSync(
        process.execPath,
        [cliPath, '--runtime', target.name, '-f', opts.file ?? path.join(dir, `${project}.yaml`), '-p', project, '--progress', opts.progress ?? 'plain', ...args],
        { cwd: dir, env: { ...process.env, HAFEN_ROOT: root, HAFEN_SUBNET_POOL: `10.${target.octet}.0.0/16:24`, NO_COLOR: '1', HAFEN_PUBLISH_ALL: '' }, encoding: 'utf8', timeout: 90_000 },
      );
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    /** A new project with its stack file. */
    const project = (yaml: (image: string) => string): string => {
      const p = `cn${target.name[0]}${randomBytes(3).toString('hex')}`;
      projects.push(p);
      fs.writeFileSync(path.join(dir, `${p}.yaml`), yaml(images[target.name]!));
      return p;
    };
    const exec = (p: string, service: string, script: string): string => {
      const r = run(p, ['exec', service, 'sh', '-c', script]);
      expect(r.code, `${service}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };

    beforeAll(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-compose-net-root-'));
      const runtime: Runtime = factory.make({ root, slot: 0 });
      images[target.name] = (await factory.images(runtime, { root, slot: 0 })).busybox;
      await runtime.close();
    }, 120_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        run(p, ['down', '-v']);
        expect(target.leaks(p, root), `leftovers of ${p}`).toEqual([]);
      }
    }, 120_000);
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

    it('network_mode none has only lo; host sees the host\'s interfaces; service:X shares X\'s address and ports', () => {
      const p = project((image) => `
services:
  web:
    image: ${image}
    command: ["sh", "-c", "echo from web > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
  side:
    image: ${image}
    command: ["sleep", "600"]
    network_mode: "service:web"
  iso:
    image: ${image}
    command: ["sleep", "600"]
    network_mode: none
  hostnet:
    image: ${image}
    command: ["sleep", "600"]
    network_mode: host
`);
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);

      expect(interfacesOf(exec(p, 'iso', 'cat /proc/net/dev'))).toEqual(['lo']);

      const host = hostNetworking();
      const seen = interfacesOf(exec(p, 'hostnet', 'cat /proc/net/dev'));
      expect(seen).toContain('lo');
      if (host.defaultVia) {
        expect(seen).toContain(host.defaultVia);
        expect(defaultRouteOf(exec(p, 'hostnet', 'cat /proc/net/route'))).toBe(host.defaultVia);
      }

      const address = (service: string) => /inet (\S+)/.exec(exec(p, service, 'ip -4 -o addr show eth0'))?.[1];
      expect(address('side')).toBeDefined();
      expect(address('side')).toBe(address('web'));
      expect(exec(p, 'side', 'wget -qO- http://127.0.0.1:8080/')).toBe('from web\n');
    }, 180_000);

    it('names a network as the file says; an external network must exist, is joined, and is kept by down', async () => {
      const external = `hafen-ext-${randomBytes(3).toString('hex')}`;
      const yaml = (image: string) => `
services:
  app:
    image: ${image}
    command: ["sleep", "600"]
    networks: [own, shared]
networks:
  own: {name: PROJECT-custom}
  shared: {external: true, name: ${external}}
`;
      const p = project(yaml);
      fs.writeFileSync(path.join(dir, `${p}.yaml`), yaml(images[target.name]!).replace('PROJECT', p));

      const missing = run(p, ['up', '-d']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`network ${external} declared as external, but could not be found`);
      expect(target.leaks(p, root)).toEqual([]);
      expect(await target.networkExists(root, `${p}-custom`)).toBe(false);

      target.createExternal(external, run);
      try {
        const up = run(p, ['up', '-d']);
        expect(up.code, up.stderr).toBe(0);
        expect(await target.networkExists(root, `${p}-custom`)).toBe(true);
        expect(interfacesOf(exec(p, 'app', 'cat /proc/net/dev'))).toEqual(['eth0', 'eth1', 'lo']);

        const down = run(p, ['down']);
        expect(down.code, down.stderr).toBe(0);
        expect(await target.networkExists(root, `${p}-custom`)).toBe(false);
        expect(await target.networkExists(root, external)).toBe(true);
      } finally {
        target.removeExternal(external, run);
      }
      expect(await target.networkExists(root, external)).toBe(false);
      expect(target.leaks(external, root)).toEqual([]);
    }, 180_000);

    it('writes dns, dns_search and dns_opt to resolv.conf; host-gateway, mac_address and ipv4_address hold', () => {
      const p = project((image) => `
services:
  app:
    image: ${image}
    command: ["sleep", "600"]
    dns: [192.0.2.53]
    dns_search: [corp.test]
    dns_opt: ["ndots:3"]
    domainname: corp.test
    extra_hosts: ["gw:host-gateway"]
    networks:
      lan: {ipv4_address: ${net(9)}, mac_address: "02:42:0a:f1:4d:09"}
networks:
  lan:
    ipam: {config: [{subnet: ${net(0)}/24}]}
`);
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);

      const resolv = exec(p, 'app', 'cat /etc/resolv.conf');
      if (target.name === 'embedded') expect(resolv).toMatch(/^nameserver 192\.0\.2\.53$/m);
      // Docker answers through its own resolver (127.0.0.11), which forwards to the servers it was given.
      else expect(JSON.parse(execFileSync('docker', ['inspect', '--format', '{{json .HostConfig.Dns}}', `${p}-app-1`], { encoding: 'utf8' }))).toEqual(['192.0.2.53']);
      expect(resolv).toMatch(/^search corp\.test$/m);
      expect(resolv).toContain('ndots:3');
      expect(exec(p, 'app', 'cat /proc/sys/kernel/domainname')).toBe('corp.test\n');

      const gw = /^(\S+)\s+gw$/m.exec(exec(p, 'app', 'cat /etc/hosts'))?.[1];
      expect(gw).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      if (target.name === 'embedded') expect(gw).toBe(net(1)); // the host's address on the container's bridge

      expect(exec(p, 'app', 'ip -4 -o addr show eth0')).toContain(`inet ${net(9)}/24`);
      expect(exec(p, 'app', 'ip -o link show eth0')).toContain('link/ether 02:42:0a:f1:4d:09');
    }, 180_000);

    it('names a volume as the file says; the local driver\'s bind form binds the host folder, which down -v keeps', () => {
      const folder = fs.mkdtempSync(path.join(dir, 'device-'));
      const p = project((image) => `
services:
  app:
    image: ${image}
    command: ["sh", "-c", "echo written > /files/out.txt; echo named > /named/in.txt; exec sleep 600"]
    volumes: ["files:/files", "named:/named"]
volumes:
  files:
    driver: local
    driver_opts: {type: none, o: bind, device: ${folder}}
  named:
    name: VOLNAME
`.replace('VOLNAME', `${path.basename(folder)}-named`));
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(exec(p, 'app', 'cat /named/in.txt')).toBe('named\n');
      expect(fs.readFileSync(path.join(folder, 'out.txt'), 'utf8')).toBe('written\n');
      const down = run(p, ['down', '-v']);
      expect(down.code, down.stderr).toBe(0);
      expect(fs.readFileSync(path.join(folder, 'out.txt'), 'utf8')).toBe('written\n');
    }, 180_000);

    it('publishes ports without an address on 127.0.0.1 and says so once; --publish-all-interfaces gives 0.0.0.0', () => {
      const p = project((image) => `
services:
  web:
    image: ${image}
    command: ["sh", "-c", "echo hi > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
    ports: ["8080"]
`);
      const note = 'ports without an address listen on 127.0.0.1 only (--publish-all-interfaces or HAFEN_PUBLISH_ALL=1 for 0.0.0.0, as Compose)';
      const hostIps = () => (JSON.parse(run(p, ['ps', '--json']).stdout) as { ports: { hostIp: string }[] }[]).flatMap((c) => c.ports.map((x) => x.hostIp));

      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr.split(note).length - 1).toBe(1);
      expect(hostIps()).toEqual(['127.0.0.1']);
      expect(run(p, ['ps']).stderr).not.toContain(note);

      const json = run(p, ['up', '-d'], { progress: 'json' });
      expect(json.code, json.stderr).toBe(0);
      expect(json.stderr).not.toContain(note);

      const all = run(p, ['up', '-d', '--publish-all-interfaces']);
      expect(all.code, all.stderr).toBe(0);
      expect(all.stderr).not.toContain(note);
      expect(hostIps()).toEqual(['0.0.0.0']);
    }, 180_000);
  });
}
