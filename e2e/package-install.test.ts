/**
 * hafen installed as a user installs it: `npm pack`, then in an empty project on a PATH with no
 * compiler (cc, gcc, make, python3 hidden) `npm install` of the tarball; `stack`/`hafen` run, a
 * two-service stack comes up on the embedded runtime from the installed package and goes down
 * leaving nothing, a vitest file in CommonJS and one in ESM use `require('hafen')` / `import`,
 * the package's types check from an ES module and a CommonJS TypeScript file, and a user who is not
 * root is told in one line which runtime is used and why. The tarball is under 2 MB and 300 files
 * (the code is bundled: scripts/bundle.mjs); its size and file count are printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { repoRoot } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';
import { TWO_SERVICE_STACK } from './two-service-stack.js';

const POOL = process.env.HAFEN_SUBNET_POOL ?? '10.233.0.0/16:24';
const needs = unmet(requireRoot(), requireOverlay(), requireCommand('npm'), requireCommand('busybox'), requireCommand('setpriv'));

describe.skipIf(needs)('the packed package, installed where no compiler is', () => {
  let dir: string;
  let project: string;
  let pathWithoutCompilers: string;
  let tarball: { file: string; size: number; entries: number };
  const root = (): string => path.join(dir, 'state');
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: pathWithoutCompilers, HAFEN_ROOT: root(), HAFEN_SUBNET_POOL: POOL, NO_COLOR: '1' });
  const bin = (name: string): string => path.join(project, 'node_modules', '.bin', name);
  const projects: string[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-install-'));
    fs.chmodSync(dir, 0o755); // the non-root user reads the installed package
    // Every target's prebuilt parts (the package ships them all), then the tarball as npm makes it.
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build-native.mjs'), '--all'], { cwd: repoRoot, stdio: 'pipe' });
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as { filename: string; size: number; entryCount: number }[];
    tarball = { file: path.join(dir, packed[0]!.filename), size: packed[0]!.size, entries: packed[0]!.entryCount };
    console.log(`npm pack: ${(tarball.size / 1024 / 1024).toFixed(2)} MB, ${tarball.entries} files`);

    // A PATH with node, npm and a shell, and no compiler: what a user's slim machine or CI image has.
    const tools = path.join(dir, 'bin');
    fs.mkdirSync(tools);
    for (const name of ['node', 'npm', 'npx', 'sh', 'env', 'busybox', 'ip', 'nsenter', 'mount', 'umount', 'iptables']) {
      const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
      if (found) fs.symlinkSync(fs.realpathSync(found), path.join(tools, name));
    }
    pathWithoutCompilers = tools;
    for (const cc of ['cc', 'gcc', 'g++', 'make', 'python3', 'musl-gcc']) {
      expect(spawnSync('sh', ['-c', `command -v ${cc}`], { env: { PATH: tools } }).status, `${cc} is hidden`).not.toBe(0);
    }

    project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tries-hafen', private: true }, null, 2));
    const started = performance.now();
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball.file], { cwd: project, env: env(), encoding: 'utf8', timeout: 300_000 });
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    console.log(`npm install of the tarball: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    fs.writeFileSync(path.join(project, 'stack.yaml'), TWO_SERVICE_STACK);
  }, 600_000);

  afterAll(() => {
    for (const p of projects) spawnSync(bin('stack'), ['-p', p, 'down', '-v'], { cwd: project, env: env() });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  const newProject = (): string => {
    const p = `pkg${Math.random().toString(16).slice(2, 8)}`;
    projects.push(p);
    return p;
  };

  it('ships what runs and only that: prebuilt parts for x64 and arm64, no tests, no source maps', () => {
    const files = execFileSync('tar', ['-tzf', tarball.file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const bundle = ['cli.js', 'cli.cjs', 'cli-bundle.cjs', 'cli-cold.cjs', 'cli-early.cjs', 'supervisor.js', 'rootless-net.js', 'index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'].map((f) => `package/dist/${f}`);
    for (const f of ['package/prebuilds/linux-x64/hafen-run', 'package/prebuilds/linux-x64/hafen.node', 'package/prebuilds/linux-arm64/hafen-run', 'package/prebuilds/linux-arm64/hafen.node', 'package/LICENSE', 'package/schemas/stack.schema.json', ...bundle]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /\.map$|\.test\.|\/testing\/|\/fixtures\/|^package\/(bench|e2e|src|dist\/src)\//.test(f))).toEqual([]);
    // Only the bundle of dist/: its entries and the chunks they load.
    expect(files.filter((f) => f.startsWith('package/dist/') && !bundle.includes(f) && !/^package\/dist\/chunks\/[\w-]+\.js$/.test(f))).toEqual([]);
    expect(tarball.entries).toBe(files.length);
    expect(tarball.entries).toBeLessThan(300);
    expect(tarball.size).toBeLessThan(2 * 1024 * 1024);
  });

  it('gives stack and hafen, built nothing at install, and carries no install script', () => {
    for (const name of ['stack', 'hafen']) {
      const r = spawnSync(bin(name), ['--version'], { cwd: project, env: env(), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
    const installed = path.join(project, 'node_modules', 'hafen');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    expect(Object.keys(manifest.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
    expect(fs.existsSync(path.join(installed, 'binding.gyp'))).toBe(false);
  });

  it('brings a two-service stack up on the embedded runtime from the installed package, and down leaves nothing', async () => {
    const p = newProject();
    const up = spawnSync(bin('stack'), ['-p', p, '--runtime', 'embedded', 'up', '-d'], { cwd: project, env: env(), encoding: 'utf8', timeout: 120_000 });
    expect(up.status, up.stderr).toBe(0);
    const deadline = Date.now() + 20_000;
    let logs = '';
    while (!logs.includes('b reached a') && Date.now() < deadline) {
      logs = spawnSync(bin('stack'), ['-p', p, 'logs', 'b'], { cwd: project, env: env(), encoding: 'utf8' }).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toContain('b reached a');
    const down = spawnSync(bin('stack'), ['-p', p, 'down', '-v'], { cwd: project, env: env(), encoding: 'utf8', timeout: 60_000 });
    expect(down.status, down.stderr).toBe(0);
    expect(stackLeftovers(p, root())).toEqual([]);
  }, 180_000);

  it.each([
    ['CommonJS', 'cjs.test.cjs', "const { up } = require('hafen');"],
    ['ESM', 'esm.test.mjs', "import { up } from 'hafen';"],
  ])('a vitest file in %s brings the stack up and down through the library', (_, file, importLine) => {
    const p = newProject();
    fs.writeFileSync(
      path.join(project, file),
      [
        // vitest is the runner's (the project has none): test and expect come as its globals.
        file.endsWith('.cjs') ? '/* global test, expect */' : "import { test, expect } from 'vitest';",
        importLine,
        `test('up, logs, down', async () => {`,
        `  const stack = await up({ cwd: ${JSON.stringify(project)}, project: ${JSON.stringify(p)}, root: ${JSON.stringify(root())} });`,
        '  try {',
        "    await expect.poll(() => stack.logs('b'), { timeout: 20000 }).toContain('b reached a');",
        '  } finally {',
        '    await stack.down({ volumes: true });',
        '  }',
        '}, 120000);',
        '',
      ].join('\n'),
    );
    const vitest = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
    const r = spawnSync(process.execPath, [vitest, 'run', '--globals', '--root', project, file], { cwd: project, env: env(), encoding: 'utf8', timeout: 180_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/1 passed/);
    expect(stackLeftovers(p, root())).toEqual([]);
  }, 200_000);

  it("its types check from TypeScript in ESM and CommonJS (nodenext), with no declaration but the package's own", () => {
    fs.writeFileSync(
      path.join(project, 'types.mts'),
      [
        "import { up, version, StackError, ConfigError, type RunningStack, type UpOptions, type Event, type PsRow } from 'hafen';",
        "const options: UpOptions = { project: 'x', waitTimeout: '30s' };",
        'export async function run(): Promise<string> {',
        '  const stack: RunningStack = await up(options);',
        "  const url: string = await stack.url('b', 80);",
        '  await stack.down({ volumes: true });',
        '  return url;',
        '}',
        "export const kinds = (e: Event): string => e.kind;",
        "export const row = (r: PsRow): string => r.service;",
        'export const failed = (e: unknown): boolean => e instanceof StackError || e instanceof ConfigError;',
        'export const v: string = version;',
        '// @ts-expect-error: no such export',
        "import { nothing } from 'hafen';",
        'void nothing;',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(project, 'types.cts'),
      [
        "import hafen = require('hafen');",
        "import type { RunningStack, StackErrorCode } from 'hafen';",
        'export async function run(): Promise<RunningStack> {',
        "  return hafen.up({ project: 'x' });",
        '}',
        "export const code: StackErrorCode = 'E_CONFIG';",
        'export const version: Promise<string> = hafen.loadVersion();',
        '// @ts-expect-error: up takes options, not a number',
        'void hafen.up(1);',
        '',
      ].join('\n'),
    );
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', 'false'];
    // Node's own types from the repository (the project has none): the declarations may name Buffer and the like.
    const nodeTypes = ['--typeRoots', path.join(repoRoot, 'node_modules', '@types'), '--types', 'node'];
    const r = spawnSync(process.execPath, [tsc, ...args, ...nodeTypes, 'types.mts', 'types.cts'], { cwd: project, env: env(), encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 150_000);

  it('runs the embedded runtime for a user who is not root (rootless), saying in one line what its id map limits; a home it cannot write is one plain line too', () => {
    const p = newProject();
    const home = path.join(dir, 'nobody-home');
    fs.mkdirSync(home);
    fs.chownSync(home, 65534, 65534);
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    const asNobody = (args: string[], home: string) =>
      spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', '--', bin('stack'), '-p', p, ...args], {
        cwd: project,
        env: { ...env(), HOME: home, HAFEN_ROOT: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const r = asNobody(['up', '-d'], home);
    expect(r.status, r.stderr).toBe(0);
    // nobody has no subordinate ids (and this PATH may lack newuidmap): only its own id is mapped, said once.
    expect(r.stderr).toMatch(/^note: .*only your own ids are mapped; files of images owned by any other id cannot be unpacked, and containers can only run as uid 0\n/m);
    expect(r.stderr).not.toContain('using the docker runtime');
    expect(r.stderr).not.toMatch(/a bug in hafen|\n\s+at /);
    // Its state went under its own home, not root's /var/lib/hafen.
    const userRoot = path.join(home, '.local', 'share', 'hafen');
    expect(fs.existsSync(path.join(userRoot, 'projects', p))).toBe(true);
    const down = asNobody(['down', '-v'], home);
    expect(down.status, down.stderr).toBe(0);
    expect(stackLeftovers(p, userRoot)).toEqual([]);
    expect(fs.readdirSync(userRoot)).toEqual(['images']);
    const readOnlyHome = asNobody(['up', '-d'], dir);
    expect(readOnlyHome.status, readOnlyHome.stderr).toBe(2);
    expect(readOnlyHome.stderr).toContain(`error: cannot create hafen's state folder ${dir}/.local/share/hafen: permission denied; set HAFEN_ROOT to a folder you may write\n`);
    expect(readOnlyHome.stderr).not.toMatch(/a bug in hafen|\n\s+at /);
    expect(stackLeftovers(p, root())).toEqual([]);
  }, 90_000);
});
