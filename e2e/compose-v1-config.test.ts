/**
 * The second conformance table: for each file in fixtures/compose-v1/, what `docker-compose -f FILE
 * config` (docker-compose 1.29) and `stack -f FILE config --json` make of every service, compared
 * field by field in their meaning: environment, labels, ports, volumes, command, entrypoint,
 * healthcheck, depends_on, networks, restart, resources.
 *
 * Known differences between docker-compose 1.29 and Compose v2 (which hafen follows), and how the
 * comparison treats them:
 * - Published ports without an address: Compose publishes on every interface, hafen on 127.0.0.1
 *   (a safe default for test environments; README). The address is compared only where the file
 *   names one.
 * - A port without a published one: Compose and hafen both pick a free host port; compared as "".
 * - `config` output escapes "$" as "$$" in both tools (so the output reads back the same); both
 *   sides are unescaped before comparing.
 * - A string `command`/`entrypoint`: docker-compose prints it as written and docker-py splits it
 *   with shlex; it is compared split into words, as Compose v2 splits it (go-shellwords).
 * - A string healthcheck `test` means ["CMD-SHELL", test] in both.
 * - YAML: docker-compose reads YAML 1.1 with PyYAML, Compose v2 go-yaml. They differ on `yes`/`no`/
 *   `on`/`off` (booleans to 1.29, which it then refuses in environment; text to v2), `0o440` (text
 *   to 1.29, octal to v2), `1e6` (text to 1.29, the float 1e+06 to v2), floats' rendering
 *   (`1.5e+10` is "15000000000.0" to 1.29, "1.5e+10" to v2), `1:30` (the sexagesimal 90 to 1.29).
 *   The fixtures avoid these; src/config/yaml-scalar.test.ts checks v2's reading of each.
 * - Sizes: 1.29 prints them as written (`256M`), hafen as bytes; both are compared in bytes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDuration, parseSize } from '../src/config/units.js';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot } from './cli.js';

const FIXTURES = path.join(repoRoot, 'fixtures/compose-v1');
/** The environment both tools read the files with: TAG is empty (so `${TAG:-latest}` defaults), NOT_ON_HOST is unset. */
const ENV = { TAG: '', GREETING: 'hi', FROM_HOST: 'from the host' };

/** One service's meaning, in the terms both tools can be brought to. */
interface Meaning {
  environment: Record<string, string>;
  labels: Record<string, string>;
  ports: string[];
  volumes: string[];
  command?: string[];
  entrypoint?: string[];
  healthcheck?: Record<string, unknown>;
  depends_on: Record<string, string>;
  networks: Record<string, string[]>;
  restart: string;
  resources: { memory?: number; cpus?: number };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const files = fs.readdirSync(FIXTURES).filter((d) => fs.existsSync(path.join(FIXTURES, d, 'docker-compose.yml')));

describe.skipIf(unmet(requireCommand('docker-compose')))('docker-compose 1.29 and stack config mean the same', () => {
  beforeAll(() => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(4));

  it.each(files)('%s', (name) => {
    const file = path.join(FIXTURES, name, 'docker-compose.yml');
    const env: Record<string, string | undefined> = { ...process.env, ...ENV, NO_COLOR: '1' };
    delete env.NOT_ON_HOST;
    delete env.COMPOSE_FILE;
    delete env.COMPOSE_PROJECT_NAME;
    const v1 = spawnSync('docker-compose', ['-f', file, 'config'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(v1.status, v1.stderr).toBe(0);
    const ours = spawnSync(process.execPath, [cliPath, '-f', file, 'config', '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(ours.status, ours.stderr).toBe(0);

    const theirs = parse(v1.stdout, { version: '1.1', intAsBigInt: true }) as Json;
    const mine = JSON.parse(ours.stdout) as Json;
    const dir = path.dirname(file);
    expect(Object.keys(mine.services).sort()).toEqual(Object.keys(theirs.services).sort());
    // Every field that differs, so one run shows them all.
    const differences: { at: string; 'docker-compose': unknown; stack: unknown }[] = [];
    for (const service of Object.keys(theirs.services)) {
      const expected = fromV1(theirs.services[service], dir);
      const actual = fromStack(mine.services[service], expected);
      for (const field of Object.keys(expected) as (keyof Meaning)[]) {
        if (!isDeepStrictEqual(actual[field], expected[field])) differences.push({ at: `services.${service}.${field}`, 'docker-compose': expected[field], stack: actual[field] });
      }
    }
    expect(differences).toEqual([]);
  });
});

/** docker-compose 1.29's `config` output of one service → its meaning. */
function fromV1(s: Json, dir: string): Meaning {
  const text = (v: unknown): string => unescape(typeof v === 'bigint' || typeof v === 'number' ? String(v) : (v as string));
  const map = (m: Json | undefined, nullIs: 'unset' | 'empty'): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m ?? {})) {
      if (v === null) {
        if (nullIs === 'empty') out[k] = '';
      } else out[k] = text(v);
    }
    return out;
  };
  const limits = s.deploy?.resources?.limits ?? {};
  const memory = limits.memory ?? s.mem_limit;
  const cpus = limits.cpus ?? s.cpus;
  const meaning: Meaning = {
    environment: map(s.environment, 'unset'),
    labels: map(s.labels, 'empty'),
    ports: (s.ports ?? []).map((p: Json | string) => (typeof p === 'string' ? shortPort(p) : portText(p.host_ip, p.published, p.target, p.protocol))).sort(),
    volumes: (s.volumes ?? []).map((v: Json | string) => (typeof v === 'string' ? shortVolume(v, dir) : volumeText(v.type, v.source ?? '', v.target, v.read_only ?? false))).sort(),
    depends_on: Object.fromEntries(Object.entries((s.depends_on ?? {}) as Json).map(([k, d]) => [k, d.condition])),
    networks: Object.fromEntries(Object.entries(s.networks ?? { default: null }).map(([k, n]) => [k, [...((n as Json | null)?.aliases ?? [])].sort()])),
    restart: s.restart ?? 'no',
    resources: {
      ...(memory !== undefined ? { memory: parseSize(typeof memory === 'bigint' ? Number(memory) : memory) } : {}),
      ...(cpus !== undefined ? { cpus: Number(cpus) } : {}),
    },
  };
  if (s.command !== undefined) meaning.command = words(s.command);
  if (s.entrypoint !== undefined) meaning.entrypoint = words(s.entrypoint);
  if (s.healthcheck) meaning.healthcheck = healthcheckMeaning(s.healthcheck);
  return meaning;
}

/** `stack config --json` of one service → its meaning, with the port address kept where docker-compose shows one. */
function fromStack(s: Json, expected: Meaning): Meaning {
  const named = new Set(expected.ports.filter((p) => !p.startsWith(':')).map((p) => p.slice(p.indexOf(':') + 1)));
  const meaning: Meaning = {
    environment: Object.fromEntries(Object.entries((s.environment ?? {}) as Record<string, string>).map(([k, v]) => [k, unescape(v)])),
    labels: Object.fromEntries(Object.entries((s.labels ?? {}) as Record<string, string>).map(([k, v]) => [k, unescape(v)])),
    ports: (s.ports ?? [])
      .map((p: Json) => {
        const withIp = portText(p.host_ip, p.published, p.target, p.protocol);
        // hafen's default address (127.0.0.1) is compared only where the file names an address
        return named.has(withIp.slice(withIp.indexOf(':') + 1)) ? withIp : portText(undefined, p.published, p.target, p.protocol);
      })
      .sort(),
    volumes: (s.volumes ?? []).map((v: Json) => volumeText(v.type, v.source ?? '', v.target, v.read_only ?? false)).sort(),
    depends_on: Object.fromEntries(Object.entries((s.depends_on ?? {}) as Json).map(([k, d]) => [k, d.condition])),
    networks: Object.fromEntries(Object.entries((s.networks ?? {}) as Json).map(([k, n]) => [k, [...((n as Json | null)?.aliases ?? [])].sort()])),
    restart: s.restart,
    resources: { ...(s.resources?.memory !== undefined ? { memory: s.resources.memory } : {}), ...(s.resources?.cpus !== undefined ? { cpus: s.resources.cpus } : {}) },
  };
  if (s.command !== undefined) meaning.command = s.command.map(unescape);
  if (s.entrypoint !== undefined) meaning.entrypoint = s.entrypoint.map(unescape);
  if (s.healthcheck) {
    // only the keys docker-compose states: hafen fills in Compose's defaults for the others
    const all = healthcheckMeaning(s.healthcheck);
    meaning.healthcheck = Object.fromEntries(Object.keys(expected.healthcheck ?? {}).map((k) => [k, all[k]]));
  }
  return meaning;
}

function healthcheckMeaning(h: Json): Record<string, unknown> {
  const out: Record<string, unknown> = { test: typeof h.test === 'string' ? ['CMD-SHELL', unescape(h.test)] : h.test.map(unescape) };
  for (const k of ['interval', 'timeout', 'start_period']) if (h[k] !== undefined) out[k] = parseDuration(h[k]);
  if (h.retries !== undefined) out.retries = Number(h.retries);
  return out;
}

/** `config` output writes "$" as "$$". */
function unescape(text: string): string {
  return text.replaceAll('$$', '$');
}

function portText(ip: string | undefined, published: unknown, target: unknown, protocol: string | undefined): string {
  const pub = published === undefined || published === null || published === 0 || published === '' ? '' : String(published);
  return `${ip ?? ''}:${pub}:${String(target)}/${protocol ?? 'tcp'}`;
}

/** docker-compose's short port text: `[IP:][PUBLISHED:]TARGET[/PROTOCOL]`. */
function shortPort(text: string): string {
  const [spec, protocol] = text.split('/') as [string, string?];
  const parts = spec.split(':');
  const target = parts.pop()!;
  const published = parts.pop();
  return portText(parts.length > 0 ? parts.join(':') : undefined, published, target, protocol);
}

function volumeText(type: string, source: string, target: string, readOnly: boolean): string {
  return `${type} ${source} ${target} ${readOnly ? 'ro' : 'rw'}`;
}

/** docker-compose's short volume text: `SOURCE:TARGET[:MODE]` (sources already absolute) or `TARGET`. */
function shortVolume(text: string, dir: string): string {
  const [source, target, mode] = text.split(':') as [string, string?, string?];
  if (target === undefined) return volumeText('volume', '', source, false);
  const bind = source.startsWith('/') || source.startsWith('.');
  return volumeText(bind ? 'bind' : 'volume', bind ? path.resolve(dir, source) : source, target, (mode ?? '').split(',').includes('ro'));
}

/** A command as words: a list as is, a string split as a POSIX shell would (quotes and backslashes), with no expansion. */
function words(value: string | string[]): string[] {
  if (Array.isArray(value)) return value.map((w) => unescape(String(w)));
  const text = unescape(value);
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && '\\"$`'.includes(text[i + 1] ?? '')) i++;
        word += text[i];
      }
    } else if (c === '\\') {
      word = (word ?? '') + (text[++i] ?? '');
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) out.push(word);
  return out;
}
