/** `stack build` as a user runs it: steps shown, the cache reused, one changed step re-run, failures explained. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { stack } from './cli.js';

describe.skipIf(unmet(requireRoot(), requireOverlay()))('stack build', () => {
  let dir: string;
  let env: Record<string, string>;
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const steps = (stderr: string) => stderr.split('\n').filter((l) => /^#\d+ /.test(l));

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-build-'));
    env = { HAFEN_ROOT: path.join(dir, 'state') };
    fs.mkdirSync(path.join(dir, 'app'));
    write('stack.yaml', 'name: buildtest\nservices:\n  app:\n    build: ./app\n');
    write(
      'app/Dockerfile',
      [
        'FROM host AS build',
        'WORKDIR /src',
        'COPY greeting.txt .',
        'RUN sh -c "tr a-z A-Z < greeting.txt > shout.txt"',
        'FROM scratch',
        'COPY --from=build /src/shout.txt /shout.txt',
        'COPY last.txt /last.txt',
        '',
      ].join('\n'),
    );
    write('app/greeting.txt', 'hello\n');
    write('app/last.txt', 'one\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds a multi-stage Dockerfile, every step shown', () => {
    const r = stack(['build'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(steps(r.stderr).map((l) => l.replace(/^#\d+ \[[^\]]+\] /, ''))).toEqual([
      'FROM host AS build',
      'WORKDIR /src',
      'COPY greeting.txt .',
      'RUN sh -c "tr a-z A-Z < greeting.txt > shout.txt"',
      'FROM scratch',
      'COPY --from=build /src/shout.txt /shout.txt',
      'COPY last.txt /last.txt',
    ]);
    const images = stack(['image', 'ls', '-q'], { env });
    expect(images.stdout.split('\n')).toContain('buildtest-app:latest');
  });

  it('a second build reuses every step', () => {
    const r = stack(['build'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const notCached = steps(r.stderr).filter((l) => !l.endsWith('CACHED') && !l.includes('FROM scratch'));
    expect(notCached).toEqual([]);
    expect(r.stderr).toMatch(/0 step\(s\) run/);
  });

  it('changing the file of the last step re-runs only that step', () => {
    write('app/last.txt', 'two\n');
    const r = stack(['build'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const run = steps(r.stderr).filter((l) => !l.endsWith('CACHED') && !l.includes('FROM scratch'));
    expect(run).toHaveLength(1);
    expect(run[0]).toMatch(/COPY last.txt/);
  });

  it('a failing RUN names the step, the Dockerfile line and the output, exit code 1', () => {
    write('app/Dockerfile.bad', 'FROM host\nRUN sh -c "echo about to fail; exit 3"\n');
    write('stack.yaml', 'name: buildtest\nservices:\n  app:\n    build: {context: ./app, dockerfile: Dockerfile.bad}\n');
    const r = stack(['build'], { cwd: dir, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Dockerfile\.bad:2/);
    expect(r.stderr).toMatch(/exit code 3|code 3/);
    expect(r.stderr).toContain('about to fail');
  });
});
