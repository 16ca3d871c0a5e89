/**
 * Several stack files through the built CLI: repeatable -f, COMPOSE_FILE, --env-file, -f - (stdin),
 * override files; and, where docker-compose is installed, the merged services compared with what
 * `docker-compose config` makes of the same files.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, stack } from './cli.js';

const fixtures = path.join(repoRoot, 'fixtures/compose-files');

interface ServiceJson {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: { target: number; published?: number }[];
  volumes?: { source?: string; target: string }[];
}

/** `stack config --json` of a fixture, as data. */
function config(c: string, args: string[], env: Record<string, string> = {}, input?: string): { services: Record<string, ServiceJson> } {
  const r = spawnSync(process.execPath, [cliPath, ...args, 'config', '--json'], {
    cwd: path.join(fixtures, c),
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
    ...(input !== undefined ? { input } : {}),
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { services: Record<string, ServiceJson> };
}

describe('stack config on several files', () => {
  it('merges -f files in order', () => {
    const api = config('two-files', ['-f', 'base.yaml', '-f', 'prod.yaml']).services.api!;
    expect(api.environment).toEqual({ A: '1', B: '3' });
    expect(api.volumes?.map((v) => `${v.source}:${v.target}`)).toEqual(['other:/data', `${path.join(fixtures, 'two-files/conf')}:/conf`]);
  });

  it('reads the override file beside the stack file', () => {
    expect(config('override', []).services.web!.command).toEqual(['httpd', '-f', '-v']);
  });

  it('takes COMPOSE_FILE and --env-file', () => {
    const out = config('env-files', ['--env-file', 'other.env'], { COMPOSE_FILE: 'compose.yaml:extra.yaml' });
    expect(out.services.web).toMatchObject({ image: 'busybox:from-other', labels: { extra: 'yes' } });
  });

  it('reads -f - from standard input', () => {
    const out = config('env-files', ['-f', '-', '-f', 'extra.yaml'], {}, 'services:\n  web:\n    image: from-stdin\n');
    expect(out.services.web).toMatchObject({ image: 'from-stdin', labels: { extra: 'yes' } });
  });

  it('points an error in the override file at that file, exit 2', () => {
    const r = stack(['config', '-q'], { cwd: path.join(fixtures, 'error-in-override') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: compose\.override\.yaml:3:14 services\.web\.restart: /);
  });
});

/** What both tools mean by a service, in one shape: the fields these fixtures use. */
function meaning(s: Record<string, unknown>): Record<string, unknown> {
  const ports = (s.ports as { target: number; published?: number | string }[] | undefined) ?? [];
  const volumes = (s.volumes as (string | { source?: string; target: string })[] | undefined) ?? [];
  const deps = s.depends_on as Record<string, { condition?: string }> | undefined;
  return {
    image: s.image,
    command: s.command,
    entrypoint: s.entrypoint,
    environment: s.environment ?? {},
    labels: s.labels ?? {},
    extra_hosts: s.extra_hosts ?? {},
    ports: ports.map((p) => `${Number(p.published)}:${p.target}`).sort(),
    // docker-compose 1.29 prints short syntax ("src:/target:ro"); ours is the long form.
    volumes: volumes.map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`)).sort(),
    depends_on: Object.fromEntries(Object.entries(deps ?? {}).map(([k, v]) => [k, v.condition ?? 'service_started'])),
    healthcheck_test: (s.healthcheck as { test?: unknown } | undefined)?.test,
  };
}

describe.skipIf(unmet(requireCommand('docker-compose')))('the same services as docker-compose config', () => {
  // docker-compose 1.29 knows neither include nor !reset/!override, and merges ports by value
  // (Compose v2 keeps one per {ip, published, target, protocol}: the same for these files).
  it.each([
    ['v1-merge', ['-f', 'a.yaml', '-f', 'b.yaml']],
    ['v1-extends', []],
  ])('%s %j', (c, files) => {
    const dir = path.join(fixtures, c);
    const v1 = spawnSync('docker-compose', [...files, 'config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'hafen-v1' } });
    expect(v1.stderr).toBe('');
    const theirs = (parse(v1.stdout) as { services: Record<string, Record<string, unknown>> }).services;
    const ours = config(c, ['-p', 'hafen-v1', ...files]).services as Record<string, Record<string, unknown>>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) expect({ name, ...meaning(ours[name]!) }).toEqual({ name, ...meaning(theirs[name]!) });
  });
});
