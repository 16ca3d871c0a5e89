/**
 * The image commands mean the same on the embedded runtime and on Docker: `stack images` lists the
 * images the project's containers use (as `docker compose images`: table, `--format json`, `-q`,
 * services), `stack image ls` every image of the runtime, and `image save`, `rmi`, `image load`
 * and `prune` act on the runtime's own images. Nothing of the test is left on either runtime.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { stack, type CliResult } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const targets = cliTargets('10.232.0.0/16:24');

const STACK = (image: string, app: string) => `services:
  web:
    image: ${image}
    command: ["sleep", "600"]
  app:
    build: ./app
    image: ${app}
    command: ["sleep", "600"]
`;

for (const target of targets) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`image commands on the ${target.name} runtime`, () => {
    let dir: string;
    let base: string;
    const project = `ic${randomBytes(3).toString('hex')}`;
    const app = `${project}-app:1`;
    const copy = `${project}-copy:2`;
    const run = (args: string[]): CliResult => stackOn(target, dir, 'stack.yaml', project, args);
    const ok = (args: string[]): CliResult => {
      const r = run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    const names = () => ok(['image', 'ls', '-q']).stdout.split('\n').filter(Boolean);
    const idOf = (name: string) => (JSON.parse(ok(['image', 'ls', '--json']).stdout) as { name: string; id: string }[]).find((i) => i.name === name || i.name === `docker.io/library/${name}`)?.id;
    const writeApp = (step: string) => {
      fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'app', 'Dockerfile'), `FROM ${base}\nRUN echo ${step} > /step\n`);
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-images-commands-'));
      base = await target.setup(dir);
      writeApp('one');
      fs.writeFileSync(path.join(dir, 'stack.yaml'), STACK(base, app));
    }, 120_000);

    afterAll(() => {
      try {
        run(['down', '-t', '1']);
        for (const name of [app, copy]) run(['rmi', name]);
        run(['prune']);
        expect(target.leftovers(project)).toEqual([]);
        if (target.name === 'docker') {
          const left = spawnSync('docker', ['images', '-q', '--filter', `label=io.hafen.project=${project}`], { encoding: 'utf8' }).stdout.trim();
          expect(left).toBe('');
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it("stack images lists the images of the project's containers, as docker compose images", () => {
      ok(['up', '-d']);
      const appId = idOf(app);
      expect(appId).toMatch(/^sha256:[0-9a-f]{64}$/);
      const table = ok(['images']).stdout.trim().split('\n');
      expect(table[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
      const rows = table.slice(1).map((l) => l.split(/\s{2,}/));
      expect(rows.map((r) => r[0])).toEqual([`${project}-app-1`, `${project}-web-1`]);
      expect(rows[0]!.slice(1, 4)).toEqual([`${project}-app`, '1', appId!.slice(7, 19)]);
      expect(rows[0]![4]).toMatch(/^\d+(\.\d+)? (B|kB|MB)$/);

      const json = JSON.parse(ok(['images', '--format', 'json']).stdout) as Record<string, unknown>[];
      expect(json.map((r) => r.ContainerName)).toEqual([`${project}-app-1`, `${project}-web-1`]);
      expect(json[0]).toMatchObject({ ID: appId, Repository: `${project}-app`, Tag: '1' });
      expect(json[0]!.Size).toBeGreaterThan(0);
      expect(json[0]!.Platform).toMatch(/^linux\//);

      const mine = JSON.parse(ok(['images', '--json', 'app']).stdout) as Record<string, unknown>[];
      expect(mine).toEqual([expect.objectContaining({ container: `${project}-app-1`, service: 'app', repository: `${project}-app`, tag: '1', id: appId })]);
      // As Compose: `-p NAME images` from anywhere, no stack file.
      const bare = stack(['--runtime', target.name, '-p', project, 'images', '--format', 'json'], { cwd: os.tmpdir(), env: target.env() });
      expect(bare.code, bare.stderr).toBe(0);
      expect(JSON.parse(bare.stdout)).toEqual(json);
      const quiet = ok(['images', '-q']).stdout.split('\n').filter(Boolean);
      expect(quiet).toHaveLength(new Set(quiet).size);
      expect(quiet).toContain(appId!.slice(7));
      ok(['down', '-t', '1']);
      expect(ok(['images', '--format', 'json']).stdout.trim()).toBe('[]');
    }, 300_000);

    it('image save, rmi and image load round-trip an image of the runtime', () => {
      const tar = path.join(dir, 'app.tar');
      ok(['image', 'save', app, '-o', tar]);
      expect(fs.statSync(tar).size).toBeGreaterThan(1024);
      const before = idOf(app);
      expect(ok(['rmi', app]).stdout).toContain(`Untagged: ${app}`);
      expect(names()).not.toContain(app);
      expect(run(['rmi', app]).code).toBe(1);
      expect(ok(['image', 'load', tar]).stdout.trim()).toBe(`Loaded image: ${app}`);
      expect(idOf(app)).toBe(before);
      expect(ok(['image', 'load', '-t', copy, tar]).stdout.split('\n').filter(Boolean).sort()).toEqual([`Loaded image: ${app}`, `Loaded image: ${copy}`].sort());
      expect(idOf(copy)).toBe(before);
      ok(['rmi', copy]);
    }, 300_000);

    it('prune frees what a rebuild replaced, and nothing an image still uses', () => {
      const first = idOf(app);
      writeApp('two');
      ok(['build']);
      const second = idOf(app);
      expect(second).not.toBe(first);
      const pruned = ok(['prune']).stdout.trim();
      expect(pruned).toMatch(/^Removed .*: .* freed$/);
      if (target.name === 'docker') {
        // The replaced build, now without a name; the engine's other images are not hafen's to prune.
        expect(pruned).toMatch(/^Removed [1-9]\d* image\(s\)/);
        expect(spawnSync('docker', ['image', 'inspect', first!]).status).not.toBe(0);
      } else {
        // The build cache still holds the first build's layers; -a lets them go (on Docker -a is the engine's whole build cache, not tried here).
        expect(ok(['prune', '-a']).stdout).toMatch(/^Removed [1-9]\d* layer\(s\), \d+ blob\(s\), [1-9]\d* cache entries: /);
      }
      // What is still named is whole: it saves.
      expect(idOf(app)).toBe(second);
      ok(['image', 'save', app, '-o', path.join(dir, 'after-prune.tar')]);
      expect(ok(['prune']).stdout).toMatch(/^Removed 0 /);
    }, 300_000);

    if (target.name === 'docker') {
      it('refuses what the engine cannot write: image save --format oci (exit 2, nothing written)', () => {
        const r = run(['image', 'save', '--format', 'oci', app, '-o', path.join(dir, 'layout')]);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')[0]).toMatch(/^error: .*docker-archive tars only/);
        expect(fs.existsSync(path.join(dir, 'layout'))).toBe(false);
      });
    }
  });
}
