#!/usr/bin/env node
/**
 * Builds hafen's native parts into prebuilds/<platform>-<arch>/, where the package loads them from
 * (src/runtime/embedded/native-files.ts):
 *
 *   hafen-run        the container launcher, statically linked (musl where musl-gcc is present,
 *                    else glibc's static libc: it uses no NSS), so one file runs on any distribution
 *   hafen.node       the addon, through Node-API (NAPI_VERSION 8): one build serves Node 20 and later
 *   hafen.musl.node  the same addon for a musl Node (Alpine), where musl-gcc is present
 *
 *   node scripts/build-native.mjs                 this machine's arch, only when missing or older than native/;
 *                                                 without a compiler it says so and exits 0 (`npm run build`
 *                                                 still gives a CLI; the Docker runtime needs no native part)
 *   node scripts/build-native.mjs --force         this machine's arch, always
 *   node scripts/build-native.mjs --all           linux-x64 and linux-arm64 (cross compilers needed)
 *   node scripts/build-native.mjs --target linux-arm64   that target only, when missing or older than native/
 *                                                 (--force: always); its compiler is required
 *
 * No node-gyp, python or make: one compiler call per file. A missing compiler is one plain line
 * and exit 1, naming the Debian package that brings it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.join(root, 'native');
const LAUNCHER_SOURCES = fs.readdirSync(native).filter((f) => /^hafen-run.*\.c$/.test(f)).sort().map((f) => path.join(native, f));
// The addon: hafen.c, and hafen-spawn.c (launchers started by posix_spawn).
const ADDON_SOURCES = [path.join(native, 'hafen.c'), path.join(native, 'hafen-spawn.c')];
const WARNINGS = ['-Wall', '-Wextra', '-Wno-format-truncation'];
// Stripped: the package carries these files for every user; sources are in native/ for debugging.
const STRIP = ['-s'];

/** Per target: the compilers (first one present wins) and the kernel headers' arch folder. */
const TARGETS = {
  'linux-x64': {
    launcher: [
      { cc: 'musl-gcc', flags: ['-static'], kernelHeaders: 'x86_64-linux-gnu', why: 'musl-tools' },
      { cc: 'gcc', flags: ['-static'], why: 'gcc and libc6-dev' },
    ],
    addon: { cc: 'gcc', why: 'gcc' },
    muslAddon: { cc: 'musl-gcc', kernelHeaders: 'x86_64-linux-gnu' },
  },
  'linux-arm64': {
    launcher: [{ cc: 'aarch64-linux-gnu-gcc', flags: ['-static'], why: 'gcc-aarch64-linux-gnu' }],
    addon: { cc: 'aarch64-linux-gnu-gcc', why: 'gcc-aarch64-linux-gnu' },
  },
};

const has = (cc) => !spawnSync(cc, ['--version'], { stdio: 'ignore' }).error;

/** A build that cannot be made here: one line, said by the caller. */
class CannotBuild extends Error {}

function fail(line) {
  throw new CannotBuild(line);
}

/** Node-API's headers: beside this node, Debian's, or node-gyp's download cache. */
function nodeApiInclude() {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!found) fail(`node_api.h not found (looked in ${candidates.join(', ')}); install Node's headers (Debian: libnode-dev)`);
  return found;
}

/**
 * musl's include path has no kernel headers: a folder linking the host's linux/, asm/ and
 * asm-generic/ (the kernel's uapi, not glibc's) lets the launcher's sources see them.
 */
function kernelHeaderDir(archDir) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-kheaders-'));
  fs.symlinkSync('/usr/include/linux', path.join(dir, 'linux'));
  fs.symlinkSync('/usr/include/asm-generic', path.join(dir, 'asm-generic'));
  fs.symlinkSync(path.join('/usr/include', archDir, 'asm'), path.join(dir, 'asm'));
  return dir;
}

function compile(cc, args, output) {
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    execFileSync(cc, [...args, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    fs.rmSync(tmp, { force: true });
    fail(`${cc} failed building ${path.relative(root, output)}`);
  }
  fs.renameSync(tmp, output); // never a half-written binary where the package looks
  console.log(`built ${path.relative(root, output)} (${cc}, ${Math.round(fs.statSync(output).size / 1024)} KiB)`);
}

function buildTarget(name) {
  const target = TARGETS[name];
  const out = path.join(root, 'prebuilds', name);
  const temps = [];
  const headersFor = (c) => {
    if (!c.kernelHeaders) return [];
    const dir = kernelHeaderDir(c.kernelHeaders);
    temps.push(dir);
    return ['-I', dir];
  };
  try {
    const launcher = target.launcher.find((c) => has(c.cc));
    if (!launcher) fail(`no compiler for the ${name} launcher: install ${target.launcher.map((c) => c.why).join(' or ')}`);
    compile(launcher.cc, [...launcher.flags, ...STRIP, '-std=gnu11', '-O2', '-D_GNU_SOURCE', ...WARNINGS, ...headersFor(launcher), ...LAUNCHER_SOURCES], path.join(out, 'hafen-run'));
    if (!has(target.addon.cc)) fail(`no compiler for the ${name} addon: install ${target.addon.why}`);
    const addonArgs = ['-shared', '-fPIC', ...STRIP, '-std=c11', '-O2', '-D_GNU_SOURCE', '-DNAPI_VERSION=8', '-Wall', '-Wextra', '-I', nodeApiInclude(), ...ADDON_SOURCES];
    compile(target.addon.cc, addonArgs, path.join(out, 'hafen.node'));
    if (target.muslAddon && has(target.muslAddon.cc)) compile(target.muslAddon.cc, [...addonArgs, ...headersFor(target.muslAddon)], path.join(out, 'hafen.musl.node'));
  } finally {
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this machine's prebuilds are present and newer than every native source. */
function upToDate(name) {
  const out = path.join(root, 'prebuilds', name);
  const built = ['hafen-run', 'hafen.node'].map((f) => fs.statSync(path.join(out, f), { throwIfNoEntry: false }));
  if (built.some((s) => !s)) return false;
  const newestSource = Math.max(...fs.readdirSync(native).map((f) => fs.statSync(path.join(native, f)).mtimeMs));
  return built.every((s) => s.mtimeMs >= newestSource);
}

const host = `${process.platform}-${process.arch}`;
const args = process.argv.slice(2);
const targetAt = args.indexOf('--target');
const only = targetAt >= 0 ? args[targetAt + 1] : undefined;
const strict = args.includes('--all') || args.includes('--force') || only !== undefined;
try {
  if (only !== undefined) {
    if (!TARGETS[only]) fail(`--target ${only}: expected one of ${Object.keys(TARGETS).join(', ')}`);
    if (args.includes('--force') || !upToDate(only)) buildTarget(only);
  } else if (args.includes('--all')) {
    for (const name of Object.keys(TARGETS)) buildTarget(name);
  } else if (!TARGETS[host]) {
    console.log(`build-native: nothing to build on ${host} (the embedded runtime runs on linux-x64 and linux-arm64; the Docker runtime needs no native part)`);
  } else if (args.includes('--force') || !upToDate(host)) {
    buildTarget(host);
  }
} catch (err) {
  if (!(err instanceof CannotBuild)) throw err;
  console.error(`build-native: ${err.message}`);
  if (strict) process.exit(1);
  console.error('build-native: the embedded runtime will not be available from this build; the Docker runtime works without it');
}
