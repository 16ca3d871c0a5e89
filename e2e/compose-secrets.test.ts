/**
 * Compose `secrets:`, `configs:` and `logging:` through the built CLI, on the embedded runtime and
 * on Docker: a service reads its secrets and configs (from a file, an environment variable and
 * inline content) with the owner and mode asked for; their data is in no process's command line,
 * no log, no output and no state file anyone but root can reach; `down` leaves nothing. A log
 * rotated by max-size/max-file; keys a runtime cannot honour refused (exit 2, file:line:col).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { projectDir } from '../src/runtime/embedded/state/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { allCommandLines, filesContaining } from '../src/testing/secret-traces.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { dockerLeaks, runtimeNamed } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** The stack: a secret from a file, one from an environment variable (owner 1000, mode 0400), a config inline and one from a file. */
function secretsStack(image: string, secrets: { file: string; content: string }): string {
  // The checks print hashes and modes only: a value printed would be in the logs by the test's own doing.
  const check = [
    'for f in /run/secrets/db_password /run/secrets/api /app.conf /etc/extra.conf; do echo "stat $$(stat -c %a:%u:%g $$f) $$(md5sum < $$f | cut -c1-32) $$f"; done',
    'touch /run/secrets/api 2>/dev/null && echo writable || echo read-only',
    "echo ready; trap 'exit 0' TERM; sleep 600 & wait",
  ].join('; ');
  return [
    'secrets:',
    `  db_password: {file: ./${secrets.file}}`,
    '  api_key: {environment: API_KEY}',
    'configs:',
    `  app: {content: "${secrets.content}"}`,
    '  extra: {file: ./extra.conf}',
    'services:',
    '  web:',
    `    image: ${image}`,
    `    command: ["sh", "-c", ${JSON.stringify(check)}]`,
    '    secrets:',
    '      - db_password',
    '      - {source: api_key, target: api, uid: "1000", gid: "1000", mode: 0400}',
    '    configs:',
    '      - {source: app, target: /app.conf}',
    '      - {source: extra, target: /etc/extra.conf, mode: 0440}',
    '',
  ].join('\n');
}

interface Values {
  file: string;
  env: string;
  content: string;
}

/** The lines the service prints for `values`, as they must read. */
function expectedStats(v: Values, fileMode: string, copied: 'read-only' | 'writable'): string[] {
  return [
    `stat ${fileMode}:0:0 ${md5(v.file)} /run/secrets/db_password`,
    `stat 400:1000:1000 ${md5(v.env)} /run/secrets/api`,
    `stat 444:0:0 ${md5(v.content)} /app.conf`,
    `stat 440:0:0 ${md5('extra=1\n')} /etc/extra.conf`,
    copied,
  ];
}

function makeValues(): Values {
  return { file: `file-secret-${randomBytes(8).toString('hex')}`, env: `env-secret-${randomBytes(8).toString('hex')}`, content: `content-${randomBytes(8).toString('hex')}` };
}

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter')))('secrets, configs and logging on the embedded runtime', () => {
  let root: string;
  let dir: string;
  const projects: string[] = [];
  const run = (project: string, args: string[], env: Record<string, string> = {}): CliResult => {
    return stack(['-p', project, '--progress', 'plain', ...args], { cwd: dir, env: { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.219.0.0/16:24', ...env } });
  };
  const newProject = (): string => {
    const p = `sec${randomBytes(3).toString('hex')}`;
    projects.push(p);
    return p;
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secrets-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secrets-stack-'));
    fs.writeFileSync(path.join(dir, 'extra.conf'), 'extra=1\n');
  });
  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, ['down', '-v']);
      expect(stackLeftovers(p, root)).toEqual([]);
    }
  }, 120_000);
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a service reads its secrets and configs with their owner and mode; the data is nowhere else; down leaves nothing', async () => {
    const p = newProject();
    const v = makeValues();
    fs.writeFileSync(path.join(dir, 'pw.txt'), v.file, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'stack.yaml'), secretsStack('host', { file: 'pw.txt', content: v.content }));
    const env = { API_KEY: v.env };

    const config = run(p, ['config', '--json'], env);
    expect(config.code, config.stderr).toBe(0);
    const doc = JSON.parse(config.stdout) as { secrets: Record<string, unknown> };
    expect(doc.secrets.api_key).toEqual({ name: 'api_key', environment: 'API_KEY' });
    expect(config.stdout).not.toContain(v.env);

    const up = run(p, ['up', '-d'], env);
    expect(up.code, up.stderr).toBe(0);
    const logs = await eventually(() => run(p, ['logs', '--no-log-prefix']).stdout, (out) => out.includes('ready'));
    const lines = logs.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('stat') || /^(read-only|writable)$/.test(l));
    // A host file without uid/gid/mode is bound as it is, with its own mode (0600 here).
    expect(lines).toEqual(expectedStats(v, '600', 'read-only'));

    // Nowhere else: no command line, no log or output, no state file but the 0700 files/ folder.
    const everywhere = allCommandLines();
    expect(everywhere).not.toContain(v.env);
    expect(everywhere).not.toContain(v.file);
    for (const out of [up.stdout, up.stderr, logs, run(p, ['ps', '--json']).stdout]) expect(out).not.toContain(v.env);
    const state = projectDir(root, p);
    const holding = filesContaining(state, v.env);
    expect(holding).toHaveLength(1);
    const filesDir = path.dirname(holding[0]!);
    expect(path.basename(filesDir)).toBe('files');
    expect(fs.statSync(filesDir).mode & 0o777).toBe(0o700);
    expect(filesContaining(state, v.file)).toEqual([]); // bound from where it is, not copied

    const down = run(p, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(filesContaining(root, v.env)).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(p);
  }, 120_000);

  it('logging max-size and max-file rotate the log; driver none keeps none', async () => {
    const p = newProject();
    fs.writeFileSync(
      path.join(dir, 'logging.yaml'),
      [
        'services:',
        '  chatty:',
        '    image: host',
        // 400 lines of ~60 bytes: far past 3 files of 2 KiB, so rotation drops the oldest.
        `    command: ["sh", "-c", "i=0; while [ $$i -lt 400 ]; do echo line-$$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$$((i+1)); done; echo done; sleep 600"]`,
        '    logging: {driver: json-file, options: {max-size: 2k, max-file: "3"}}',
        '  quiet:',
        '    image: host',
        '    command: ["sh", "-c", "echo not-kept; sleep 600"]',
        '    logging: {driver: none}',
        '',
      ].join('\n'),
    );
    const up = run(p, ['-f', 'logging.yaml', 'up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const logsDir = path.join(projectDir(root, p), 'containers', `${p}-chatty-1`, 'logs');
    // The listing is taken only once the last line is written: taken earlier, it can fall
    // between two renames of a rotation (container.log.1 already moved to .2).
    await eventually(
      () => run(p, ['-f', 'logging.yaml', 'logs', 'chatty']).stdout,
      (out) => out.includes('done'),
    );
    const files = fs.readdirSync(logsDir).sort();
    expect(files).toEqual(['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) expect(fs.statSync(path.join(logsDir, f)).size).toBeLessThanOrEqual(2048);
    const logs = run(p, ['-f', 'logging.yaml', 'logs', 'chatty']).stdout;
    expect(logs).toContain('line-399-');
    expect(logs).not.toContain('line-0-');
    const quietLogs = path.join(projectDir(root, p), 'containers', `${p}-quiet-1`, 'logs');
    expect(fs.readdirSync(quietLogs)).toEqual([]);
    expect(run(p, ['-f', 'logging.yaml', 'logs', 'quiet']).stdout).not.toContain('not-kept');
  }, 120_000);

  it('refuses, before anything is made, what the embedded runtime cannot honour (exit 2, file:line:col and key)', () => {
    const p = newProject();
    const foreign = os.arch() === 's390x' ? 'linux/amd64' : 'linux/s390x';
    fs.writeFileSync(
      path.join(dir, 'refused.yaml'),
      [
        'secrets:',
        '  token: {environment: HAFEN_TEST_UNSET_TOKEN}',
        'services:',
        '  a:',
        '    image: host',
        '    secrets: [token]',
        '  b:',
        '    image: host',
        '    logging: {driver: syslog}',
        '  c:',
        '    image: host',
        '    runtime: runsc',
        '  d:',
        '    image: host',
        `    platform: ${foreign}`,
        '',
      ].join('\n'),
    );
    expect(run(p, ['-f', 'refused.yaml', 'config', '-q']).code).toBe(0);
    const up = run(p, ['-f', 'refused.yaml', 'up', '-d']);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/refused\.yaml:6:\d+ services\.a\.secrets: .*HAFEN_TEST_UNSET_TOKEN, which is not set/);
    expect(up.stderr).toMatch(/refused\.yaml:9:\d+ services\.b\.logging: logging driver "syslog" .*--runtime docker/);
    expect(up.stderr).toMatch(/refused\.yaml:12:\d+ services\.c\.runtime: .*"runsc"/);
    expect(up.stderr).toMatch(new RegExp(`refused\\.yaml:15:\\d+ services\\.d\\.platform: platform "${foreign}" is not this machine's`));
    expect(fs.existsSync(projectDir(root, p))).toBe(false);
  });
});

describe.skipIf(unmet(...runtimeNamed('docker').requirements))('secrets, configs and logging on Docker', () => {
  let dir: string;
  let busybox: string;
  const projects: string[] = [];
  const run = (project: string, args: string[], env: Record<string, string> = {}): CliResult => {
    return stack(['--runtime', 'docker', '-p', project, '--progress', 'plain', ...args], { cwd: dir, env });
  };
  const newProject = (): string => {
    const p = `dsec${randomBytes(3).toString('hex')}`;
    projects.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-docker-secrets-'));
    fs.writeFileSync(path.join(dir, 'extra.conf'), 'extra=1\n');
    busybox = await importBusyboxImage(new DockerRuntime().docker);
  }, 120_000);
  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, ['down', '-v']);
      expect(dockerLeaks(p), `leftovers of ${p}`).toEqual([]);
    }
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a service reads its secrets and configs with their owner and mode; the data is in no command line, inspect or log', async () => {
    const p = newProject();
    const v = makeValues();
    fs.writeFileSync(path.join(dir, 'pw.txt'), v.file, { mode: 0o640 });
    fs.writeFileSync(path.join(dir, 'stack.yaml'), secretsStack(busybox, { file: 'pw.txt', content: v.content }));
    const up = run(p, ['up', '-d'], { API_KEY: v.env });
    expect(up.code, up.stderr).toBe(0);
    const logs = await eventually(() => run(p, ['logs', '--no-log-prefix']).stdout, (out) => out.includes('ready'));
    const lines = logs.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('stat') || /^(read-only|writable)$/.test(l));
    // As docker compose does, Docker copies data into the container's own layer: root there may write it.
    expect(lines).toEqual(expectedStats(v, '640', 'writable'));

    const inspect = spawnSync('docker', ['inspect', `${p}-web-1`], { encoding: 'utf8' }).stdout;
    expect(inspect).toContain('/run/secrets/db_password');
    expect(inspect).not.toContain(v.env);
    expect(allCommandLines()).not.toContain(v.env);
    expect(up.stdout + up.stderr + logs).not.toContain(v.env);
  }, 120_000);

  it('passes logging to the engine; refuses annotations on an engine older than API 1.43', () => {
    const p = newProject();
    fs.writeFileSync(
      path.join(dir, 'logging.yaml'),
      ['services:', '  web:', `    image: ${busybox}`, '    command: ["sleep", "600"]', '    logging: {driver: json-file, options: {max-size: 1k, max-file: "2"}}', ''].join('\n'),
    );
    expect(run(p, ['-f', 'logging.yaml', 'up', '-d']).code).toBe(0);
    const logConfig = spawnSync('docker', ['inspect', '--format', '{{json .HostConfig.LogConfig}}', `${p}-web-1`], { encoding: 'utf8' }).stdout;
    expect(JSON.parse(logConfig)).toEqual({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } });

    const api = spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { encoding: 'utf8' }).stdout.trim();
    const [major = 0, minor = 0] = api.split('.').map(Number);
    if (major === 1 && minor < 43) {
      const q = newProject();
      fs.writeFileSync(path.join(dir, 'annotations.yaml'), ['services:', '  web:', `    image: ${busybox}`, '    command: ["sleep", "600"]', '    annotations: {com.example.x: "1"}', ''].join('\n'));
      const up = run(q, ['-f', 'annotations.yaml', 'up', '-d']);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(/annotations need Docker API 1\.43/);
    }
  }, 120_000);

  it('refuses a read-only service that Docker would have to copy a secret into (exit 2)', () => {
    const p = newProject();
    fs.writeFileSync(
      path.join(dir, 'readonly.yaml'),
      ['secrets:', '  k: {environment: API_KEY}', 'services:', '  web:', `    image: ${busybox}`, '    read_only: true', '    secrets: [k]', ''].join('\n'),
    );
    const up = run(p, ['-f', 'readonly.yaml', 'up', '-d'], { API_KEY: 'x' });
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/readonly\.yaml:6:\d+ services\.web\.read_only: a read-only container cannot be given a secret/);
  });
});
