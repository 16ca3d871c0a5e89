/**
 * Images from a registry through the built CLI: a real registry on loopback with an image pushed by
 * skopeo; `stack pull` fetches it by tag and by digest (a second pull downloads nothing), `stack up`
 * and `stack run --rm` run it, `up` on an empty store pulls what is missing, a tampered blob is
 * refused with nothing left, and `stack down -v` leaves nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLayeredImage, saveArchive } from '../src/runtime/embedded/registry/fixtures/test-images.js';
import { skopeoCopy, startRegistry, type TestRegistry } from '../src/runtime/embedded/registry/fixtures/test-registry.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter'), requireCommand('busybox'), requireCommand('docker-registry'), requireCommand('skopeo')))(
  'stack pull and up with images from a registry',
  () => {
    let dir: string;
    let registry: TestRegistry;
    let digest: string;
    const project = `reg${randomBytes(3).toString('hex')}`;
    const roots: string[] = [];

    /** `stack -f stack.yaml -p PROJECT ...args` with the state root `root`. */
    const run = (root: string, args: string[], file = 'stack.yaml'): CliResult => {
      const r = spawnSync(process.execPath, [cliPath, '-f', path.join(dir, file), '-p', project, '--progress', 'plain', ...args], {
        cwd: repoRoot,
        env: { ...process.env, HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.238.0.0/16:24', NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 90_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const newRoot = (): string => {
      const root = fs.mkdtempSync(path.join(dir, 'root-'));
      roots.push(root);
      return root;
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-registry-'));
      const source = openStore(path.join(dir, 'source'));
      await makeLayeredImage(source, 'hafen-e2e/busybox:1', [{ 'greeting.txt': 'hi\n' }, { 'etc/motd': 'from the registry\n' }]);
      const archive = await saveArchive(source, 'hafen-e2e/busybox:1', path.join(dir, 'busybox.tar'));
      registry = await startRegistry(path.join(dir, 'registry'));
      await skopeoCopy(`docker-archive:${archive}`, `docker://${registry.host}/hafen/busybox:1`);
      await skopeoCopy(`docker-archive:${archive}`, `docker://${registry.host}/hafen/tampered:1`);
      digest = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${registry.host}/hafen/busybox:1`], { encoding: 'utf8' }).trim();
      const services = [
        `  hello:\n    image: ${registry.host}/hafen/busybox:1\n    command: ["sh", "-c", "echo $$(cat /greeting.txt) $$(cat /etc/motd)"]`,
        `  pinned:\n    image: ${registry.host}/hafen/busybox@${digest}\n    command: ["sh", "-c", "echo pinned by digest"]\n    profiles: [pinned]`,
      ];
      fs.writeFileSync(path.join(dir, 'stack.yaml'), `name: ${project}\nservices:\n${services.join('\n')}\n`);
      fs.writeFileSync(path.join(dir, 'tampered.yaml'), `name: ${project}\nservices:\n  bad:\n    image: ${registry.host}/hafen/tampered:1\n`);
    }, 120_000);

    afterAll(async () => {
      for (const root of roots) run(root, ['down', '-v']);
      await registry?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('pulls by tag and digest, runs both, pulls nothing twice; down -v leaves nothing', () => {
      const root = newRoot();
      const pull = run(root, ['--profile', 'pinned', 'pull']);
      expect(pull.stderr).toContain(`hello: pulled ${registry.host}/hafen/busybox:1`);
      expect(pull.stderr).toContain(`pinned: pulled ${registry.host}/hafen/busybox@${digest}`);
      expect(pull.code).toBe(0);
      const images = (JSON.parse(run(root, ['image', 'ls', '--json']).stdout) as { name: string }[]).map((i) => i.name);
      expect(images).toEqual(expect.arrayContaining([`${registry.host}/hafen/busybox:1`, `${registry.host}/hafen/busybox@${digest}`]));

      const again = run(root, ['pull', 'hello']);
      expect(again.stderr).toMatch(/hello: pulled sha256:[0-9a-f]{12}: 0 blob\(s\) downloaded \(0 bytes\), 3 layer\(s\) already here/);

      const up = run(root, ['up', '--exit-code-from', 'hello']);
      expect(up.code).toBe(0);
      expect(run(root, ['logs', 'hello']).stdout).toContain('hi from the registry');
      const oneOff = run(root, ['--profile', 'pinned', 'run', '--rm', 'pinned']);
      expect(oneOff.stdout).toContain('pinned by digest');
      expect(oneOff.code).toBe(0);

      expect(run(root, ['--profile', 'pinned', 'down', '-v']).code).toBe(0);
      expect(stackLeftovers(project, root)).toEqual([]);
    });

    it('up pulls a missing image by itself', () => {
      const root = newRoot();
      const up = run(root, ['up', '--exit-code-from', 'hello']);
      expect(up.stderr).toContain(`image ${registry.host}/hafen/busybox:1  pulled (`);
      expect(up.code).toBe(0);
      expect(run(root, ['logs', 'hello']).stdout).toContain('hi from the registry');
      expect(run(root, ['down', '-v']).code).toBe(0);
      expect(stackLeftovers(project, root)).toEqual([]);
    });

    it('refuses a tampered blob and keeps nothing of the pull', () => {
      const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/hafen/tampered:1`], { encoding: 'utf8' })) as { layers: { digest: string }[] };
      // Blobs are shared by the registry's repositories: put the good bytes back afterwards.
      const file = registry.blobFile(manifest.layers[0]!.digest);
      const good = fs.readFileSync(file);
      const bad = Buffer.from(good);
      bad[bad.length >> 1]! ^= 0x55;
      fs.writeFileSync(file, bad);
      const root = newRoot();
      try {
        const pull = run(root, ['pull'], 'tampered.yaml');
        expect(pull.stderr).toContain(`image ${registry.host}/hafen/tampered:1: blob ${manifest.layers[0]!.digest} from ${registry.host} does not match its digest`);
        expect(pull.code).toBe(1);
      } finally {
        fs.writeFileSync(file, good);
      }
      const images = path.join(root, 'images');
      const left = ['refs', 'blobs/sha256', 'layers', 'tmp'].flatMap((d) => fs.readdirSync(path.join(images, d)).map((n) => `${d}/${n}`));
      expect(left).toEqual([]);
    });
  },
);
