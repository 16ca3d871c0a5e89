/**
 * security_opt seccomp through the built CLI, on the embedded runtime and on Docker: by default a
 * service cannot create user namespaces (nor can an exec into it); `cap_add: [SYS_ADMIN]` and
 * `seccomp=unconfined` let it; `seccomp=./profile.json` (relative to the project folder) replaces
 * the profile; a bad profile is refused by `config` with its key's place and the profile's error.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import type { CliResult } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const PROBE = `mkdir /tmp/d 2>/dev/null; echo mkdir=$$?; unshare -U true 2>/dev/null; echo unshare=$$?; sed -n 's/^Seccomp:\\\\t*/seccomp=/p' /proc/self/status; sleep 600 & wait`;

const STACK = (image: string) => `services:
  plain:
    image: ${image}
    command: ["sh", "-c", "${PROBE}"]
  admin:
    image: ${image}
    command: ["sh", "-c", "${PROBE}"]
    cap_add: [SYS_ADMIN]
  free:
    image: ${image}
    command: ["sh", "-c", "${PROBE}"]
    security_opt: [seccomp=unconfined]
  custom:
    image: ${image}
    command: ["sh", "-c", "${PROBE}"]
    security_opt: ["seccomp=./profiles/no-mkdir.json"]
`;

const NO_MKDIR = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, null, 2);

const targets = cliTargets('10.246.0.0/16:24');

for (const target of targets) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`security_opt seccomp on the ${target.name} runtime`, () => {
    let dir: string;
    const project = `sc${randomBytes(3).toString('hex')}`;

    const run = (args: string[], file = 'stack.yaml'): CliResult => stackOn(target, dir, file, project, args);

    /** The `key=value` lines a service printed, once all three are there. */
    const printed = async (service: string): Promise<Record<string, string>> => {
      for (let i = 0; ; i++) {
        const out: Record<string, string> = {};
        for (const line of run(['logs', '--no-log-prefix', service]).stdout.split('\n')) {
          const m = /^(\w+)=(\S*)$/.exec(line.trim());
          if (m) out[m[1]!] = m[2]!;
        }
        if (Object.keys(out).length >= 3 || i > 50) return out;
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-seccomp-stack-'));
      const image = await target.setup(dir);
      fs.mkdirSync(path.join(dir, 'profiles'));
      fs.writeFileSync(path.join(dir, 'profiles', 'no-mkdir.json'), NO_MKDIR);
      fs.writeFileSync(path.join(dir, 'stack.yaml'), STACK(image));
    }, 120_000);

    afterAll(() => {
      try {
        const down = run(['down', '-t', '1s']);
        expect(down.code, down.stderr).toBe(0);
        expect(target.leftovers(project)).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('confines by default, widens with cap_add SYS_ADMIN, lifts with unconfined, and reads a profile file next to the stack', async () => {
      const up = run(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(await printed('plain')).toEqual({ mkdir: '0', unshare: '1', seccomp: '2' });
      expect(await printed('admin')).toEqual({ mkdir: '0', unshare: '0', seccomp: '2' });
      expect(await printed('free')).toEqual({ mkdir: '0', unshare: '0', seccomp: '0' });
      expect(await printed('custom')).toEqual({ mkdir: '1', unshare: '0', seccomp: '2' });

      const exec = run(['exec', 'plain', 'sh', '-c', 'unshare -U true 2>/dev/null; echo unshare=$?; grep ^Seccomp: /proc/self/status']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout).toMatch(/unshare=1\s+Seccomp:\s+2/);
    }, 180_000);

    it('refuses a bad profile at its key in config, with the profile\'s own error', () => {
      fs.writeFileSync(path.join(dir, 'bad.json'), '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [{"names": ["read"], "action": "SCMP_ACT_SOMETIMES"}]}');
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'services:\n  app:\n    image: busybox\n    security_opt: [seccomp=bad.json]\n');
      const r = run(['config'], 'bad.yaml');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`bad.yaml:4:20 services.app.security_opt[0]: seccomp profile ${path.join(dir, 'bad.json')}: syscalls[0].action: unknown action "SCMP_ACT_SOMETIMES"`);
    });
  });
}
