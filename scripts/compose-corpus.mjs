#!/usr/bin/env node
// Real-world trial of hafen's reader against docker-compose (issue 12): finds every compose file
// under a folder (compose*.y(a)ml, docker-compose*.y(a)ml), runs `docker-compose -f FILE config -q`
// and `stack -f FILE config -q` on each (from the file's folder, with the caller's environment),
// and prints one row per file plus the failures Compose accepts but hafen refuses, grouped by cause.
//
//   npm run build && node scripts/compose-corpus.mjs /tmp/i12-corpus [--json] [--jobs N] [--only-diff] [--save rows.json]
//   node scripts/compose-corpus.mjs /tmp/i12-corpus --combos sets.txt    (files read together: "-f a -f b")
//
// Nothing is copied anywhere; the folder is only read. docker-compose missing: its column says "-".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STACK = path.join(ROOT, 'dist/cli.js');
const COMPOSE_NAME = /^(docker-)?compose[^/]*\.ya?ml$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', 'vendor']);

function parseArgs(argv) {
  const opts = { dir: undefined, json: false, jobs: 2, onlyDiff: false, timeoutMs: 30_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--only-diff') opts.onlyDiff = true;
    else if (a === '--jobs') opts.jobs = Number(argv[++i]);
    else if (a === '--save') opts.save = argv[++i];
    else if (a === '--combos') opts.combos = argv[++i];
    else if (!opts.dir) opts.dir = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!opts.dir) throw new Error('usage: compose-corpus.mjs FOLDER [--json] [--jobs N] [--only-diff]');
  return opts;
}

/** Every compose file under `dir`, sorted, as absolute paths. */
function findComposeFiles(dir) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(path.join(d, e.name));
      } else if (e.isFile() && COMPOSE_NAME.test(e.name)) found.push(path.join(d, e.name));
    }
  };
  walk(path.resolve(dir));
  return found.sort();
}

/** Runs a command in `cwd`; resolves to {code, stdout, stderr}; a timeout counts as a failure. */
function run(cmd, args, cwd, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? `killed by ${signal}` : code, stdout, stderr });
    });
  });
}

/** The first line that says what went wrong (docker-compose prints warnings before its error). */
function firstError(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const i = lines.findIndex((l) => !/^WARN|^WARNING|^warning:|variable is not set/i.test(l));
  const err = i < 0 ? (lines[0] ?? '') : lines[i];
  // docker-compose 1.29 says "… is invalid because:" and gives the reason on the next line.
  const reason = err.endsWith('because:') && i + 1 < lines.length ? ` ${lines[i + 1]}` : '';
  return `${err}${reason}`.slice(0, 300);
}

/** Each line of hafen's stderr that names a problem (`file:line:col key: why`). */
function errorLines(stderr) {
  return stderr
    .split('\n')
    .map((l) => l.trim().replace(/^error:\s*/, ''))
    .filter((l) => /^\S+:\d+:\d+\s/.test(l));
}

/**
 * A cause shared by many files: hafen's message without its file:line:col, with service and
 * resource names replaced by `*`, so "services.db.ulimits" and "services.web.ulimits" count together.
 */
export function category(message) {
  let m = message.replace(/^error:\s*/, '').replace(/^\S+:\d+:\d+\s+/, '');
  const unsupported = m.match(/"([^"]+)" is a Compose key that hafen does not support/);
  if (unsupported) return `unsupported key: ${unsupported[1]}`;
  m = m.replace(/^(services|networks|volumes|secrets|configs)\.[^.:\s]+/, '$1.*');
  m = m.replace(/"[^"]*"/g, '"…"').replace(/\b\d+\b/g, 'N');
  return m.slice(0, 120);
}

/**
 * Several files read together (`-f a -f b`), from a --combos list: one line per set, a folder
 * (relative to the trial's folder) and the files in order, e.g. `frappe compose.yaml overrides/x.yaml`.
 */
function readCombos(listFile) {
  return fs
    .readFileSync(listFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [dir, ...files] = l.split(/\s+/);
      return { dir, files };
    });
}

async function trialFile(file, opts, haveCompose) {
  const combo = typeof file === 'object';
  const cwd = combo ? path.resolve(opts.dir, file.dir) : path.dirname(file);
  const fileArgs = (combo ? file.files : [path.basename(file)]).flatMap((f) => ['-f', f]);
  const [compose, hafen] = await Promise.all([
    haveCompose ? run('docker-compose', [...fileArgs, 'config', '-q'], cwd, opts.timeoutMs) : null,
    run(process.execPath, [STACK, ...fileArgs, 'config', '-q'], cwd, opts.timeoutMs),
  ]);
  return {
    file: combo ? `${file.dir}/{${file.files.join(' + ')}}` : path.relative(path.resolve(opts.dir), file),
    compose: compose === null ? '-' : compose.code === 0 ? 'ok' : 'error',
    composeError: compose && compose.code !== 0 ? firstError(compose.stderr) : '',
    hafen: hafen.code === 0 ? 'ok' : 'error',
    hafenError: hafen.code !== 0 ? firstError(hafen.stderr || hafen.stdout) : '',
    // hafen names every problem of a file, one a line: all of them count in the causes.
    hafenErrors: hafen.code !== 0 ? errorLines(hafen.stderr || hafen.stdout) : [],
  };
}

async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, limit) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

const cell = (s) => String(s).replaceAll('|', '\\|');

function printReport(rows, opts) {
  const out = [];
  out.push('| file | compose | hafen | hafen first error |', '|---|---|---|---|');
  for (const r of rows) {
    if (opts.onlyDiff && r.compose === r.hafen) continue;
    out.push(`| ${cell(r.file)} | ${r.compose} | ${r.hafen} | ${cell(r.hafenError)} |`);
  }
  const composeOk = rows.filter((r) => r.compose === 'ok');
  const both = composeOk.filter((r) => r.hafen === 'ok');
  const refused = composeOk.filter((r) => r.hafen !== 'ok');
  const extra = rows.filter((r) => r.compose === 'error' && r.hafen === 'ok');
  out.push('');
  out.push(`files: ${rows.length}; docker-compose reads ${composeOk.length}; hafen reads ${rows.filter((r) => r.hafen === 'ok').length}`);
  out.push(`read by both: ${both.length} of ${composeOk.length} that docker-compose reads`);
  out.push(`hafen refuses ${refused.length} that docker-compose reads; hafen reads ${extra.length} that docker-compose refuses`);
  const counts = new Map();
  for (const r of refused) {
    const causes = new Set((r.hafenErrors.length ? r.hafenErrors : [r.hafenError]).map(category));
    for (const c of causes) counts.set(c, [...(counts.get(c) ?? []), r.file]);
  }
  out.push('', '| files | cause (hafen refuses, docker-compose reads; a file counts once per cause) | example |', '|---|---|---|');
  for (const [c, files] of [...counts].sort((a, b) => b[1].length - a[1].length)) {
    out.push(`| ${files.length} | ${cell(c)} | ${cell(files[0])} |`);
  }
  // Files docker-compose 1.29 refuses for keys of the newer Compose specification, which
  // Compose v2 reads: hafen should read them too.
  const newer = rows.filter((r) => r.compose === 'error' && /'(attach|include|name)'|unsupported option: 'restart'/.test(r.composeError));
  if (newer.length) {
    out.push('', `docker-compose 1.29 refuses ${newer.length} for newer-spec keys (attach, include, name, depends_on.restart); hafen reads ${newer.filter((r) => r.hafen === 'ok').length} of them`);
    const nc = new Map();
    for (const r of newer.filter((r) => r.hafen !== 'ok')) {
      for (const c of new Set((r.hafenErrors.length ? r.hafenErrors : [r.hafenError]).map(category))) nc.set(c, (nc.get(c) ?? 0) + 1);
    }
    out.push('', '| files | cause (of those, hafen refuses) |', '|---|---|');
    for (const [c, n] of [...nc].sort((a, b) => b[1] - a[1])) out.push(`| ${n} | ${cell(c)} |`);
  }
  if (extra.length) {
    out.push('', '| hafen reads, docker-compose refuses | docker-compose error |', '|---|---|');
    for (const r of extra) out.push(`| ${cell(r.file)} | ${cell(r.composeError)} |`);
  }
  console.log(out.join('\n'));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(STACK)) throw new Error(`${STACK} is missing: run npm run build first`);
  const haveCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
  const files = opts.combos ? readCombos(opts.combos) : findComposeFiles(opts.dir);
  const rows = await mapLimited(files, opts.jobs, (f) => trialFile(f, opts, haveCompose));
  if (opts.save) fs.writeFileSync(opts.save, JSON.stringify(rows, null, 2));
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else printReport(rows, opts);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
