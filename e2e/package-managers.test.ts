/**
 * hafen installed by the package managers people use beside npm, and by a user who is not root.
 * pnpm 10 and bun skip dependencies' build scripts by default, so a package that builds at install
 * would leave them without a launcher: hafen ships prebuilt parts and must work from their
 * layouts (pnpm's symlinked store, bun's flat one) with no compiler on PATH. A user without root
 * installs into their own project with their own npm cache and is told in one line which runtime
 * `up` uses. `npm install -g .` from a clone builds it and gives `stack` and `hafen`. pnpm and bun come from the npm registry (`npx -y`), as a user would fetch them.
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

const POOL = '10.226.0.0/16:24';
const NOBODY = 65534;
const needs = unmet(requireRoot(), requireOverlay(), requireCommand('npm'), requireCommand('busybox'), requireCommand('setpriv'));

describe.skipIf(needs)('the packed package under pnpm, bun, and a user who is not root', () => {
  let dir: string;
  let tarball: string;
  let tools: string;
  const projects: { name: string; folder: string }[] = [];
  const root = (): string => path.join(dir, 'state');
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: tools,
    HAFEN_ROOT: root(),
    HAFEN_SUBNET_POOL: POOL,
    NO_COLOR: '1',
    ...extra,
  });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-pm-'));
    fs.chmodSync(dir, 0o755); // the non-root user reaches its folder inside
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as { filename: string }[];
    tarball = path.join(dir, packed[0]!.filename);
    fs.chmodSync(tarball, 0o644);
    // Everything the machine has on PATH except compilers and build tools: a slim machine or CI
    // image (package managers' bin shims need sed, dirname, uname...).
    tools = path.join(dir, 'bin');
    fs.mkdirSync(tools);
    const buildTool = /^(cc|c\+\+|gcc.*|g\+\+.*|.*-gcc(-[\d.]+)?|.*-g\+\+.*|clang.*|musl-gcc|make|gmake|python3?(\.\d+)?|node-gyp)$/;
    for (const folder of (process.env.PATH ?? '').split(':').filter(Boolean)) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(folder);
      } catch {
        continue;
      }
      for (const name of names) {
        if (buildTool.test(name) || fs.existsSync(path.join(tools, name))) continue;
        fs.symlinkSync(path.join(folder, name), path.join(tools, name));
      }
    }
    for (const cc of ['cc', 'gcc', 'make', 'python3']) {
      expect(spawnSync('sh', ['-c', `command -v ${cc}`], { env: { PATH: tools } }).status, `${cc} is hidden`).not.toBe(0);
    }
  }, 300_000);

  afterAll(() => {
    for (const p of projects) spawnSync(path.join(p.folder, 'node_modules', '.bin', 'stack'), ['-p', p.name, 'down', '-v'], { cwd: p.folder, env: env() });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  const emptyProject = (name: string): string => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: `tries-hafen-${name}`, private: true }, null, 2));
    fs.writeFileSync(path.join(folder, 'stack.yaml'), TWO_SERVICE_STACK);
    return folder;
  };

  /** Up on the embedded runtime, b reaches a by name, down leaves nothing. */
  const upAndDown = async (folder: string): Promise<void> => {
    const name = `pm${Math.random().toString(16).slice(2, 8)}`;
    projects.push({ name, folder });
    const stack = path.join(folder, 'node_modules', '.bin', 'stack');
    const version = spawnSync(stack, ['--version'], { cwd: folder, env: env(), encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    const up = spawnSync(stack, ['-p', name, '--runtime', 'embedded', 'up', '-d'], { cwd: folder, env: env(), encoding: 'utf8', timeout: 120_000 });
    expect(up.status, up.stderr).toBe(0);
    let logs = '';
    const deadline = Date.now() + 20_000;
    while (!logs.includes('b reached a') && Date.now() < deadline) {
      logs = spawnSync(stack, ['-p', name, 'logs', 'b'], { cwd: folder, env: env(), encoding: 'utf8' }).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toContain('b reached a');
    const down = spawnSync(stack, ['-p', name, 'down', '-v'], { cwd: folder, env: env(), encoding: 'utf8', timeout: 60_000 });
    expect(down.status, down.stderr).toBe(0);
    expect(stackLeftovers(name, root())).toEqual([]);
  };

  it.each([
    ['pnpm 10', ['-y', 'pnpm@10', 'add', '--reporter', 'append-only']],
    ['bun', ['-y', 'bun', 'add']],
  ])('%s installs the tarball with no compiler and no build script allowed; the stack comes up and down', async (label, args) => {
    const folder = emptyProject(label.replace(/\W+/g, '-'));
    const install = spawnSync('npx', [...args, tarball], { cwd: folder, env: env(), encoding: 'utf8', timeout: 300_000 });
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    // Neither ran a build of hafen's own: what runs is what the package shipped.
    expect(fs.existsSync(path.join(folder, 'node_modules', 'hafen', 'build'))).toBe(false);
    await upAndDown(folder);
  }, 400_000);

  it('npm install -g . from a clone builds it and puts stack and hafen on PATH; the stack comes up and down', async () => {
    const clone = path.join(dir, 'clone');
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, clone], { stdio: 'pipe' });
    const prefix = path.join(dir, 'global');
    // With the machine's own PATH: building from source is what a clone is for (the compilers build
    // the native parts for this machine). The global prefix is the test's own.
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '.'], { cwd: clone, env: { ...process.env }, encoding: 'utf8', timeout: 600_000 });
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    for (const name of ['stack', 'hafen']) {
      const r = spawnSync(path.join(prefix, 'bin', name), ['--version'], { env: env(), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
    // A project folder with the global command, as a user would run it.
    const folder = emptyProject('global-user');
    fs.mkdirSync(path.join(folder, 'node_modules', '.bin'), { recursive: true });
    fs.symlinkSync(path.join(prefix, 'bin', 'stack'), path.join(folder, 'node_modules', '.bin', 'stack'));
    await upAndDown(folder);
  }, 700_000);

  it('installs as a user who is not root, with its own npm cache, and up runs rootless, saying in one line what its id map limits', () => {
    const home = path.join(dir, 'nobody-home');
    fs.mkdirSync(home);
    fs.chownSync(home, NOBODY, NOBODY);
    const folder = emptyProject('nobody');
    fs.chownSync(folder, NOBODY, NOBODY);
    for (const f of fs.readdirSync(folder)) fs.chownSync(path.join(folder, f), NOBODY, NOBODY);
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    const asNobody = (argv: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(setpriv, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...argv], {
        cwd: folder,
        // npm's cache and hafen's state go under the user's own home, as on a laptop.
        env: env({ HOME: home, HAFEN_ROOT: '', npm_config_cache: path.join(home, '.npm') }),
        encoding: 'utf8',
        timeout: 300_000,
      });
    const install = asNobody(['npm', 'install', '--no-audit', '--no-fund', tarball]);
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    expect(fs.statSync(path.join(folder, 'node_modules', 'hafen', 'package.json')).uid).toBe(NOBODY);
    const name = `pm${Math.random().toString(16).slice(2, 8)}`;
    const up = asNobody([path.join(folder, 'node_modules', '.bin', 'stack'), '-p', name, 'up', '-d']);
    const stderr = String(up.stderr);
    expect(up.status, stderr).toBe(0);
    // The embedded runtime in nobody's own user namespace (issue 17): no subordinate ids, so one line says what that limits.
    expect(stderr).toMatch(/^note: .*only your own ids are mapped; files of images owned by any other id cannot be unpacked, and containers can only run as uid 0\n/m);
    expect(stderr).not.toContain('using the docker runtime');
    expect(stderr).not.toMatch(/a bug in hafen|\n\s+at /);
    const down = asNobody([path.join(folder, 'node_modules', '.bin', 'stack'), '-p', name, 'down', '-v']);
    expect(down.status, String(down.stderr)).toBe(0);
    const userRoot = path.join(home, '.local', 'share', 'hafen');
    expect(stackLeftovers(name, userRoot)).toEqual([]);
    expect(fs.readdirSync(userRoot)).toEqual(['images']);
    expect(stackLeftovers(name, root())).toEqual([]);
  }, 400_000);
});
