/**
 * String and list `command:`/`entrypoint:` reach the container as Compose passes them, on the
 * embedded runtime and on Docker: an image whose ENTRYPOINT prints its argv one per line (busybox
 * and a script, FROM scratch, built by each runtime's own builder) runs one service per form, and
 * each container's log is compared with the exact argv. Also: `stack run` and `stack exec` take
 * argv as given, a string healthcheck runs through /bin/sh, a string `ready: exec` is split into
 * words. After each runtime's tests nothing of the project is left (and on Docker, no image).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBusybox } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { unmet } from '../src/testing/requirements.js';
import { cliPath, type CliResult } from './cli.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

const IMAGE_EP = ['/bin/args', 'image-ep'];
const IMAGE_CMD = ['/bin/args', 'image-cmd'];

/** One service per form: its keys (YAML lines under the service) and the argv its container must print. */
const CASES: Record<string, { keys: string[]; argv: string[] }> = {
  'image-defaults': { keys: [], argv: [...IMAGE_EP, ...IMAGE_CMD] },
  flags: { keys: ['command: -target=all -config.file=/etc/x.yaml'], argv: [...IMAGE_EP, '-target=all', '-config.file=/etc/x.yaml'] },
  quoted: {
    keys: [`command: ${JSON.stringify(String.raw`say "hello  world" 'single  quoted' "" a\ b --name="x y"'z' "say \"hi\"" $$HOME tab\there`)}`],
    argv: [...IMAGE_EP, 'say', 'hello  world', 'single  quoted', '', 'a b', '--name=x yz', 'say "hi"', '$HOME', 'tab\there'],
  },
  'command-list': { keys: ['command: ["-x", "a b", ""]'], argv: [...IMAGE_EP, '-x', 'a b', ''] },
  'entrypoint-string': { keys: ['entrypoint: /bin/args "from service" --flag'], argv: ['/bin/args', 'from service', '--flag'] },
  'entrypoint-and-command': { keys: ['entrypoint: /bin/args e', `command: c1 "c 2"`], argv: ['/bin/args', 'e', 'c1', 'c 2'] },
  'entrypoint-empty-string': { keys: ['entrypoint: ""', 'command: /bin/args only'], argv: ['/bin/args', 'only'] },
  // The engine's rules (what Compose gets): an empty entrypoint clears the image's, and its Cmd stays…
  'entrypoint-empty-list': { keys: ['entrypoint: []'], argv: IMAGE_CMD },
  // …an empty command keeps the image's Cmd…
  'command-empty-list': { keys: ['command: []'], argv: [...IMAGE_EP, ...IMAGE_CMD] },
  'command-empty-string': { keys: ['command: ""'], argv: [...IMAGE_EP, ...IMAGE_CMD] },
  // …and a given entrypoint drops it.
  'entrypoint-list-command-empty': { keys: ['entrypoint: ["/bin/args", "e"]', 'command: []'], argv: ['/bin/args', 'e'] },
  // An entrypoint of one empty word is none (`docker run --entrypoint ""`), and the image's Cmd is still dropped.
  'entrypoint-one-empty-word': { keys: ['entrypoint: [""]', 'command: /bin/args x'], argv: ['/bin/args', 'x'] },
};

/** What the image's /bin/args prints for an argv. */
const printed = (argv: string[]): string => argv.map((a) => `[${a}]\n`).join('');

/** The stack file and the image's build context in `dir`; every service shares one image, built once. */
function writeStack(dir: string, image: string): void {
  const ctx = path.join(dir, 'args');
  fs.mkdirSync(ctx, { recursive: true });
  fs.copyFileSync(findBusybox()!, path.join(ctx, 'busybox'));
  fs.chmodSync(path.join(ctx, 'busybox'), 0o755);
  fs.writeFileSync(path.join(ctx, 'args'), '#!/bin/busybox sh\nfor a in "$0" "$@"; do echo "[$a]"; done\n', { mode: 0o755 });
  fs.writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY busybox /bin/sh',
      'COPY args /bin/args',
      `ENTRYPOINT ${JSON.stringify(IMAGE_EP)}`,
      `CMD ${JSON.stringify(IMAGE_CMD)}`,
      '',
    ].join('\n'),
  );
  const services = Object.entries(CASES).flatMap(([name, c]) => [`  ${name}:`, '    <<: *args', ...c.keys.map((k) => `    ${k}`)]);
  fs.writeFileSync(
    path.join(dir, 'stack.yaml'),
    [
      'x-args: &args',
      '  build: ./args',
      `  image: ${image}`,
      'services:',
      ...services,
      '  waiter:',
      '    <<: *args',
      `    entrypoint: ["/bin/sh", "-c", "trap 'exit 0' TERM; /bin/busybox touch '/ready file'; /bin/busybox sleep 600 & wait"]`,
      // A string test is CMD-SHELL: && only works through a shell. A string ready: exec is words.
      `    healthcheck: {test: "test -f '/ready file' && test -x /bin/args", interval: 100ms, retries: 30}`,
      `    ready: {exec: "/bin/busybox test -f '/ready file'"}`,
      '',
    ].join('\n'),
  );
}

describe('string commands in stack config', () => {
  it('config --json shows each string split into its words', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-words-config-'));
    try {
      writeStack(dir, 'words-config-test');
      const r = spawnSync(process.execPath, [cliPath, 'config', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status, r.stderr).toBe(0);
      const services = JSON.parse(r.stdout).services as Record<string, { command?: string[]; entrypoint?: string[]; ready?: { exec: string[] } }>;
      expect(services.flags!.command).toEqual(['-target=all', '-config.file=/etc/x.yaml']);
      // Printed back as a file, $ is escaped again so that it interpolates to the same words.
      expect(services.quoted!.command).toEqual(CASES.quoted!.argv.slice(2).map((a) => a.replaceAll('$', () => '$$')));
      expect(services['entrypoint-and-command']).toMatchObject({ entrypoint: ['/bin/args', 'e'], command: ['c1', 'c 2'] });
      expect(services['entrypoint-empty-string']).toMatchObject({ entrypoint: [], command: ['/bin/args', 'only'] });
      expect(services['command-empty-string']!.command).toEqual([]);
      expect(services['image-defaults']!.command).toBeUndefined();
      expect(services.waiter!.ready!.exec).toEqual(['/bin/busybox', 'test', '-f', '/ready file']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(['embedded', 'docker'])('string and list commands on the %s runtime', (runtimeName) => {
  const factory = runtimeNamed(runtimeName);
  describe.skipIf(unmet(...factory.requirements))(`(${runtimeName})`, () => {
    let dir: string;
    const project = `words${randomBytes(3).toString('hex')}`;
    const env = (): Record<string, string> => ({ HAFEN_ROOT: path.join(dir, 'state'), HAFEN_SUBNET_POOL: '10.241.0.0/16:24', NO_COLOR: '1' });
    const run = (args: string[], timeout = 120_000): CliResult => {
      const r = spawnSync(process.execPath, [cliPath, '--runtime', runtimeName, '-p', project, '--progress', 'plain', ...args], {
        cwd: dir,
        env: { ...process.env, ...env() },
        encoding: 'utf8',
        timeout,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const dockerImages = (): string[] =>
      spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${project}-*`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-words-'));
      writeStack(dir, `${project}-args`);
    });
    afterAll(() => {
      const down = run(['down', '-v']);
      try {
        expect(down.code, down.stderr).toBe(0);
        expect(runtimeName === 'docker' ? factory.leaks(project, { root: env().HAFEN_ROOT!, slot: 0 }) : stackLeftovers(project, env().HAFEN_ROOT!)).toEqual([]);
        if (runtimeName === 'docker') {
          const images = dockerImages();
          if (images.length > 0) spawnSync('docker', ['rmi', ...images], { stdio: 'ignore' });
          expect(dockerImages()).toEqual([]);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('each container prints the argv Compose would give it', async () => {
      const up = run(['up', '-d'], 300_000);
      expect(up.code, up.stderr).toBe(0);
      type Row = { service: string; state: string; exitCode?: number; health: string };
      let ps: Row[] = [];
      for (let i = 0; i < 200; i++) {
        ps = JSON.parse(run(['ps', '--json']).stdout) as Row[];
        if (ps.filter((c) => c.service !== 'waiter').every((c) => c.state === 'exited')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ps.filter((c) => c.service !== 'waiter').map((c) => [c.service, c.state, c.exitCode])).toEqual(
        Object.keys(CASES).sort().map((s) => [s, 'exited', 0]),
      );
      for (const [service, c] of Object.entries(CASES)) {
        const logs = run(['logs', '--no-log-prefix', service]);
        expect(logs.code, logs.stderr).toBe(0);
        expect(logs.stdout, service).toBe(printed(c.argv));
      }
    }, 360_000);

    it('a string healthcheck runs through the shell, a string ready: exec as words', () => {
      const ps = JSON.parse(run(['ps', '--json']).stdout) as { service: string; state: string; health: string }[];
      expect(ps.find((c) => c.service === 'waiter')).toMatchObject({ state: 'running', health: 'healthy' });
    });

    it('run and exec take argv as given: one quoted argument stays one word', () => {
      const oneOff = run(['run', '--rm', 'flags', 'one  word', '-x', '']);
      expect(oneOff.code, oneOff.stderr).toBe(0);
      expect(oneOff.stdout).toBe(printed([...IMAGE_EP, 'one  word', '-x', '']));
      const exec = run(['exec', '-T', 'waiter', '/bin/args', 'a  b', 'c;d']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout).toBe(printed(['/bin/args', 'a  b', 'c;d']));
    });
  });
});
