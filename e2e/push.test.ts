/**
 * `stack push` through the built CLI, on the embedded runtime and on the machine's dockerd, to a
 * real registry (Debian's docker-registry on loopback): a built image and an imported archive go up
 * (digests printed per service, the same skopeo reads back, and what `docker pull` of the main
 * engine gets); a second push finds every layer there; another repository mounts them; a service
 * with no registry is refused at its place in the file (exit 2, nothing pushed); wrong credentials
 * and a missing registry end in one line with no secret. Every project and repository is the test's
 * own; images it made in dockerd are removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTag } from '../src/runtime/docker/docker-images.js';
import { makeLayeredImage, saveArchive } from '../src/runtime/embedded/registry/fixtures/test-images.js';
import { freePort, startRegistry, type TestRegistry } from '../src/runtime/embedded/registry/fixtures/test-registry.js';
import { startTokenServer, type TokenServer } from '../src/runtime/embedded/registry/fixtures/token-server.js';
import { sha256 } from '../src/runtime/embedded/layers/index.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { cliPath } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';

const execAsync = promisify(execFile);

const SUBNET_POOL = '10.228.0.0/16:24';

const requireDockerd: Requirement = {
  name: 'dockerd',
  check: () => {
    const r = spawnSync('docker', ['info'], { stdio: 'pipe', encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? undefined : `docker info fails: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  },
};

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const skopeoDigest = (ref: string, creds?: string): string =>
  sha256(Buffer.from(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })));
/** The per-service lines `stack push` prints on stdout: service → `REF@sha256:…`. */
const pushed = (stdout: string): Record<string, string> => Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/) as [string, string]));
/** stderr lines about layers: `SERVICE: 0123456789ab: pushed 1.2 kB`. */
const layerLines = (stderr: string, service: string): string[] => stderr.split('\n').filter((l) => new RegExp(`^${service}: [0-9a-f]{12}: `).test(l));

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireDockerd, requireCommand('docker-registry'), requireCommand('skopeo'), requireCommand('busybox'), requireCommand('perl')))('stack push', () => {
  let base: string;
  let registry: TestRegistry;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-push-'));
    registry = await startRegistry(path.join(base, 'registry'));
    stops.push(registry.stop);
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  for (const target of cliTargets(SUBNET_POOL)) {
    describe(`on the ${target.name} runtime`, () => {
      let dir: string;
      const project = `push${target.name.slice(0, 3)}${randomBytes(3).toString('hex')}`;
      const run = (...args: string[]) => stackOn(target, dir, 'stack.yaml', project, args);
      const dockerImages: string[] = [];

      beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(base, `${target.name}-`));
        const busybox = await target.setup(dir);
        fs.mkdirSync(path.join(dir, 'app'));
        fs.writeFileSync(path.join(dir, 'app/Dockerfile'), `FROM ${busybox}\nCOPY hello.txt /hello.txt\n`);
        fs.writeFileSync(path.join(dir, 'app/hello.txt'), `hello from ${project}\n`);
        const source = openStore(path.join(dir, 'source'));
        await makeLayeredImage(source, 'hafen-e2e/seed:1', [{ 'seed.txt': `seed of ${project}\n` }]);
        await saveArchive(source, 'hafen-e2e/seed:1', path.join(dir, 'seed.tar'));
        fs.writeFileSync(
          path.join(dir, 'stack.yaml'),
          [`name: ${project}`, 'services:', '  app:', '    build: ./app', '  seed:', '    image: docker-archive:./seed.tar', '  tools:', '    image: host', ''].join('\n'),
        );
        if (target.name === 'docker') dockerImages.push(`${project}-app:latest`, archiveTag(path.join(dir, 'seed.tar')));
        expect(run('build', 'app').code).toBe(0);
        expect(run('pull', 'seed').code).toBe(0);
      }, 180_000);
      afterAll(() => {
        for (const image of dockerImages) spawnQuiet('docker', ['rmi', image]);
        // Nothing of the registry's names stays in the engine (a push's own tag is taken away after it).
        if (target.name === 'docker') expect(docker('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((n) => n.startsWith(registry.host))).toEqual([]);
        expect(target.leftovers(project)).toEqual([]);
      });

      it('pushes the built and the imported image, printing each digest; skopeo and docker pull read the same', () => {
        const r = run('push', '--registry', registry.host);
        expect(r.stderr).toMatch(/app: [0-9a-f]{12}: pushed/);
        expect(r.code, r.stderr).toBe(0);
        const lines = pushed(r.stdout);
        expect(Object.keys(lines)).toEqual(['app', 'seed']);
        for (const [service, ref] of Object.entries(lines)) {
          const [name, digest] = ref.split('@') as [string, string];
          expect(name).toBe(`${registry.host}/${project}-${service}:latest`);
          expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
          expect(skopeoDigest(name)).toBe(digest);
        }
        // The main engine pulls it from the loopback registry (insecure by default there), then it is removed.
        const name = lines.app!.split('@')[0]!;
        try {
          docker('pull', '-q', name);
          expect(docker('image', 'inspect', '--format', '{{join .RepoDigests " "}}', name).split(' ')).toContain(`${registry.host}/${project}-app@${lines.app!.split('@')[1]}`);
        } finally {
          spawnQuiet('docker', ['rmi', name]);
        }
      }, 120_000);

      it('a second push finds every layer there; a push to another repository mounts them', () => {
        const again = run('push', '--registry', registry.host, 'app');
        expect(again.code, again.stderr).toBe(0);
        const existing = layerLines(again.stderr, 'app');
        expect(existing.length).toBeGreaterThan(0);
        expect(existing.every((l) => l.endsWith(': exists'))).toBe(true);

        const other = run('push', '--registry', `${registry.host}/other`, 'app');
        expect(other.code, other.stderr).toBe(0);
        const mounted = layerLines(other.stderr, 'app');
        expect(mounted.length).toBeGreaterThan(0);
        expect(mounted.every((l) => l.includes(': mounted from '))).toBe(true);
        expect(pushed(other.stdout).app!.split('@')[1]).toBe(pushed(again.stdout).app!.split('@')[1]);
      }, 120_000);

      it('refuses a service with no registry at its place in the file, pushing nothing', () => {
        const r = run('push', 'app');
        expect(r.code).toBe(2);
        expect(r.stderr.trim()).toMatch(/^error: stack\.yaml:3:3 services\.app: nothing to push to: its built image has no image: name; .*--registry HOST\[:PORT\].*x-hafen-registry/);
        expect(r.stdout).toBe('');
        const bad = run('push', '--registry', 'not a host', 'app');
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain('is not a registry HOST[:PORT]');
      });

      it('says in one line that the registry is not there', async () => {
        const host = `127.0.0.1:${await freePort()}`;
        const r = run('push', '-q', '--registry', host, 'app');
        expect(r.code).toBe(1);
        const lines = r.stderr.trim().split('\n');
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toContain(host);
        expect(lines[0]).toMatch(/connection refused|ECONNREFUSED/i);
        // --ignore-push-failures: the same said as a warning, exit 0.
        const ignored = run('push', '-q', '--ignore-push-failures', '--registry', host, 'app');
        expect(ignored.code, ignored.stderr).toBe(0);
        expect(ignored.stderr.trim()).toMatch(new RegExp(`^warning: app: .*${host.replace(/\./g, '\\.')}`));
        expect(ignored.stdout).toBe('');
      }, 120_000);

      describe('behind basic auth', () => {
        let secured: TestRegistry;
        const config = (user: string, password: string): string => {
          const configDir = fs.mkdtempSync(path.join(base, 'docker-config-'));
          fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
          return configDir;
        };
        const runWith = (configDir: string, ...args: string[]) => stackOn(target, dir, 'stack.yaml', project, args, { DOCKER_CONFIG: configDir });
        beforeAll(async () => {
          secured = await startRegistry(path.join(base, `basic-${target.name}`), { kind: 'htpasswd', user: 'alice', password: 'wonder land' });
          stops.push(secured.stop);
        }, 60_000);

        it('pushes with the credentials of config.json; wrong ones end in one line without the password', () => {
          const ok = runWith(config('alice', 'wonder land'), 'push', '--registry', secured.host, 'app');
          expect(ok.code, ok.stderr).toBe(0);
          const [name, digest] = pushed(ok.stdout).app!.split('@') as [string, string];
          expect(skopeoDigest(name, 'alice:wonder land')).toBe(digest);

          const wrong = runWith(config('alice', 'n0t-the-pa55word'), 'push', '-q', '--registry', secured.host, 'seed');
          expect(wrong.code).toBe(1);
          const lines = wrong.stderr.trim().split('\n');
          expect(lines, wrong.stderr).toHaveLength(1);
          expect(lines[0]).toMatch(/unauthorized|refused the credentials/i);
          for (const secret of ['n0t-the-pa55word', Buffer.from('alice:n0t-the-pa55word').toString('base64')]) {
            expect(wrong.stderr + wrong.stdout).not.toContain(secret);
          }
        }, 120_000);
      });
    });
  }

  describe('on the embedded runtime, behind token auth, in chunks', () => {
    let tokens: TokenServer;
    let secured: TestRegistry;
    let dir: string;
    const project = `pushtok${randomBytes(3).toString('hex')}`;
    const target = cliTargets(SUBNET_POOL)[0]!;
    beforeAll(async () => {
      tokens = await startTokenServer(path.join(base, 'tokens'), 'bob', 'builder');
      stops.push(tokens.stop);
      secured = await startRegistry(path.join(base, 'token'), { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile });
      stops.push(secured.stop);
      dir = fs.mkdtempSync(path.join(base, 'token-'));
      const busybox = await target.setup(dir);
      fs.mkdirSync(path.join(dir, 'app'));
      fs.writeFileSync(path.join(dir, 'app/Dockerfile'), `FROM ${busybox}\nCOPY big.bin /big.bin\n`);
      fs.writeFileSync(path.join(dir, 'app/big.bin'), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 253)));
      fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: ${project}\nx-hafen-registry: ${secured.host}/team\nservices:\n  app:\n    build: ./app\n    image: app:7\n`);
      expect(stackOn(target, dir, 'stack.yaml', project, ['build']).code).toBe(0);
    }, 120_000);
    afterAll(() => expect(target.leftovers(project)).toEqual([]));

    it('pushes to x-hafen-registry with a push token, in chunks of HAFEN_PUSH_CHUNK_SIZE', async () => {
      const configDir = fs.mkdtempSync(path.join(base, 'docker-config-'));
      fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('bob:builder').toString('base64') } } }));
      // Asynchronous: the token service answers from this process meanwhile.
      const r = await execAsync(process.execPath, ['--', cliPath, '--runtime', 'embedded', '-f', 'stack.yaml', '-p', project, '--progress', 'plain', 'push'], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', ...target.env(), DOCKER_CONFIG: configDir, HAFEN_PUSH_CHUNK_SIZE: '16384' },
        timeout: 90_000,
      });
      const [name, digest] = pushed(r.stdout).app!.split('@') as [string, string];
      expect(name).toBe(`${secured.host}/team/app:7`);
      const raw = await execAsync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'bob:builder', `docker://${name}`], { timeout: 60_000 });
      expect(sha256(Buffer.from(raw.stdout))).toBe(digest);
      expect(tokens.requests.map((t) => t.scope)).toContain('repository:team/app:pull,push');
      // The layer with big.bin (50 kB and its tar headers) went in four chunks of 16 KiB.
      expect(r.stderr).toMatch(/^app: [0-9a-f]{12}: pushed 50\.\d kB in 4 chunks$/m);
    }, 120_000);
  });
});

/** Runs a command, ignoring its failure and output (cleanup of what may not be there). */
function spawnQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // not there
  }
}
