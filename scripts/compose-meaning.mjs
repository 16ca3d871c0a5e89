#!/usr/bin/env node
// Compares what a compose file *means* to docker-compose (1.29) and to hafen (issue 12): for each
// file, `docker-compose -f FILE config` against `stack -f FILE config --json`, service by service,
// on command, entrypoint, environment, ports and volumes, each reduced to one comparable form:
//   - command/entrypoint: the argument list the container gets (docker-compose passes a string to
//     docker-py, which splits it with Python's shlex.split; run here through python3 for the same words);
//   - environment: NAME=value (a name without a value is left out: unset either way);
//   - ports: ip:published:target/protocol (ip "*" when the file names none; hafen's documented
//     127.0.0.1 default is counted apart, not as a difference);
//   - volumes: type:source:target:ro|rw.
//
//   npm run build && node scripts/compose-meaning.mjs FILE…      (or --rows rows.json from compose-corpus.mjs --save)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STACK = path.join(ROOT, 'dist/cli.js');
const KEYS = ['command', 'entrypoint', 'environment', 'ports', 'volumes'];

function run(cmd, args, cwd) {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
}

/** Python's shlex.split, as docker-py splits a string command. */
function shlexSplit(strings) {
  if (strings.length === 0) return [];
  const r = spawnSync('python3', ['-c', 'import json,shlex,sys\nprint(json.dumps([shlex.split(s) for s in json.load(sys.stdin)]))'], {
    input: JSON.stringify(strings),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`shlex: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const words = (v, split) => (v === undefined || v === null ? undefined : typeof v === 'string' ? split(v) : v.map(String));

function envList(env) {
  if (!env) return [];
  const map = Array.isArray(env)
    ? Object.fromEntries(env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])))
    : env;
  // A name without a value is unset in the container, as when it is not named at all.
  return Object.entries(map)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort();
}

function range(spec) {
  if (spec === undefined || spec === '') return [undefined];
  const [a, b] = String(spec).split('-').map(Number);
  return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** docker-compose's ports (short strings or long mappings) as ip:published:target/protocol. */
function composePorts(ports = []) {
  const out = [];
  for (const p of ports) {
    if (typeof p === 'object') {
      out.push(`${p.host_ip ?? '*'}:${p.published ?? '?'}:${p.target}/${p.protocol ?? 'tcp'}`);
      continue;
    }
    const [spec, proto = 'tcp'] = String(p).split('/');
    const parts = spec.split(':');
    const target = parts.pop();
    const published = parts.pop();
    const ip = parts.length ? parts.join(':') : '*';
    const targets = range(target);
    const pubs = published === undefined || published === '' ? targets.map(() => '?') : range(published);
    targets.forEach((t, i) => out.push(`${ip}:${pubs[i] ?? pubs[0]}:${t}/${proto}`));
  }
  return out.sort();
}

function hafenPorts(ports = []) {
  return ports.map((p) => `${p.host_ip ?? '*'}:${p.published ?? '?'}:${p.target}/${p.protocol ?? 'tcp'}`).sort();
}

/** docker-compose's volumes as type:source:target:ro|rw. */
function composeVolumes(volumes = []) {
  return volumes
    .map((v) => {
      if (typeof v === 'object') return `${v.type}:${v.source ?? ''}:${v.target}:${v.read_only ? 'ro' : 'rw'}`;
      const parts = v.split(':');
      if (parts.length === 1) return `volume::${parts[0]}:rw`;
      const [source, target, mode = 'rw'] = parts;
      const type = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume';
      return `${type}:${source}:${target}:${mode.split(',').includes('ro') ? 'ro' : 'rw'}`;
    })
    .sort();
}

function hafenVolumes(volumes = []) {
  return volumes.map((v) => `${v.type}:${v.source ?? ''}:${v.target}:${v.read_only ? 'ro' : 'rw'}`).sort();
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The differences of one file, as {service, key, compose, hafen} rows; or a reason it could not be compared. */
export function compareFile(file) {
  const cwd = path.dirname(file);
  const base = path.basename(file);
  const c = run('docker-compose', ['-f', base, 'config'], cwd);
  const h = run(process.execPath, [STACK, '-f', base, 'config', '--json'], cwd);
  if (c.status !== 0 || h.status !== 0) return { skipped: `compose ${c.status}, hafen ${h.status}` };
  const composeDoc = parse(c.stdout);
  const hafenDoc = JSON.parse(h.stdout);
  const strings = [];
  for (const s of Object.values(composeDoc.services ?? {})) {
    for (const k of ['command', 'entrypoint']) if (typeof s[k] === 'string') strings.push(s[k]);
  }
  const split = shlexSplit(strings);
  const splitOf = (str) => split[strings.indexOf(str)];
  const diffs = [];
  let loopbackPorts = 0;
  for (const [name, cs] of Object.entries(composeDoc.services ?? {})) {
    const hs = hafenDoc.services?.[name];
    if (!hs) {
      diffs.push({ service: name, key: 'service', compose: 'present', hafen: 'missing' });
      continue;
    }
    const pairs = {
      command: [words(cs.command, splitOf), hs.command],
      entrypoint: [words(cs.entrypoint, splitOf), hs.entrypoint],
      environment: [envList(cs.environment), envList(hs.environment)],
      ports: [composePorts(cs.ports), hafenPorts(hs.ports)],
      volumes: [composeVolumes(cs.volumes), hafenVolumes(hs.volumes)],
    };
    // hafen's documented default: no address in the file means 127.0.0.1, not every interface.
    const hp = pairs.ports[1].map((p) => (p.startsWith('127.0.0.1:') && pairs.ports[0].includes(p.replace('127.0.0.1:', '*:')) ? p.replace('127.0.0.1:', '*:') : p));
    loopbackPorts += hp.filter((p, i) => p !== pairs.ports[1][i]).length;
    pairs.ports[1] = hp.sort();
    for (const k of KEYS) {
      const [cv, hv] = pairs[k];
      if (!same(cv ?? null, hv ?? null)) diffs.push({ service: name, key: k, compose: cv, hafen: hv });
    }
  }
  return { diffs, loopbackPorts, services: Object.keys(composeDoc.services ?? {}).length };
}

function main() {
  const args = process.argv.slice(2);
  let files = args;
  if (args[0] === '--rows') {
    const rows = JSON.parse(fs.readFileSync(args[1], 'utf8'));
    const root = path.resolve(args[2] ?? '/tmp/i12-corpus');
    files = rows.filter((r) => r.compose === 'ok' && r.hafen === 'ok').map((r) => path.join(root, r.file));
  }
  const byKey = new Map();
  let services = 0;
  let loopback = 0;
  let compared = 0;
  for (const file of files) {
    const r = compareFile(path.resolve(file));
    if (r.skipped) {
      console.log(`${file}: not compared (${r.skipped})`);
      continue;
    }
    compared++;
    services += r.services;
    loopback += r.loopbackPorts;
    for (const d of r.diffs) {
      console.log(`${path.relative(process.cwd(), file)} ${d.service}.${d.key}\n  compose: ${JSON.stringify(d.compose)}\n  hafen:   ${JSON.stringify(d.hafen)}`);
      byKey.set(d.key, (byKey.get(d.key) ?? 0) + 1);
    }
  }
  console.log(`\ncompared ${compared} files, ${services} services; ports on 127.0.0.1 by hafen's default (not counted): ${loopback}`);
  for (const k of KEYS) console.log(`${k}: ${byKey.get(k) ?? 0} services differ`);
  if (byKey.has('service')) console.log(`service missing in hafen: ${byKey.get('service')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
