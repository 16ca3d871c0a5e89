/**
 * A log flood on the embedded runtime, through the built CLI: a service that writes hundreds of
 * thousands of numbered lines as fast as it can finds every one of them, in order, in `stack logs`
 * (stdout and stderr each), with a timestamp for `-t`; a flooding service with max-size/max-file
 * keeps that many files, none past the cap, and `logs` gives an unbroken run of the newest lines.
 * (On Docker the engine keeps the logs; this is the embedded launcher's writer.)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectDir } from '../src/runtime/embedded/state/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

const LINES = 300_000;
const ERR_LINES = 50_000;

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The numbers of lines `prefix<N>` in `text`, in the order they come. */
function numbers(text: string, prefix: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => Number(l.slice(prefix.length)));
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('seq')))('a log flood on the embedded runtime', () => {
  let root: string;
  let dir: string;
  const projects: string[] = [];
  const run = (project: string, args: string[]): CliResult => {
    return stack(['-p', project, '--progress', 'plain', ...args], {
      cwd: dir,
      env: { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.225.0.0/16:24' },
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
    });
  };
  const newProject = (): string => {
    const p = `flood${randomBytes(3).toString('hex')}`;
    projects.push(p);
    return p;
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-flood-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-flood-stack-'));
  });
  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, ['down', '-v']);
      expect(stackLeftovers(p, root)).toEqual([]);
    }
  }, 120_000);
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('every line of a flood is in `stack logs`, in order, stdout and stderr each, each with its time', async () => {
    const p = newProject();
    fs.writeFileSync(
      path.join(dir, 'flood.yaml'),
      [
        'services:',
        '  flood:',
        '    image: host',
        // Both streams at once, as fast as seq writes: the writer must keep up or hold the payload back, never drop.
        `    command: ["sh", "-c", "seq -f 'err-%g' 1 ${ERR_LINES} >&2 & seq -f 'out-%g' 1 ${LINES}; wait; echo finished"]`,
        '    logging: {driver: json-file}',
        '',
      ].join('\n'),
    );
    const up = run(p, ['-f', 'flood.yaml', 'up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const logs = await eventually(
      () => run(p, ['-f', 'flood.yaml', 'logs', '--no-log-prefix', 'flood']),
      (r) => r.stdout.includes('finished'),
    );
    expect(logs.code, logs.stderr).toBe(0);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(numbers(logs.stdout, 'out-')).toEqual(range(LINES));
    expect(numbers(logs.stdout + logs.stderr, 'err-')).toEqual(range(ERR_LINES));

    const stamped = run(p, ['-f', 'flood.yaml', 'logs', '--no-log-prefix', '-t', '--tail', '3', 'flood']).stdout.trim().split('\n');
    expect(stamped).toHaveLength(3);
    for (const l of stamped) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  }, 180_000);

  it('a flood with max-size and max-file keeps that many files under the cap, and the newest lines unbroken', async () => {
    const p = newProject();
    fs.writeFileSync(
      path.join(dir, 'rotated.yaml'),
      [
        'services:',
        '  flood:',
        '    image: host',
        `    command: ["sh", "-c", "seq -f 'out-%g' 1 ${LINES}; echo finished"]`,
        '    logging: {driver: json-file, options: {max-size: 300k, max-file: "3"}}',
        '',
      ].join('\n'),
    );
    const up = run(p, ['-f', 'rotated.yaml', 'up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const logs = await eventually(
      () => run(p, ['-f', 'rotated.yaml', 'logs', '--no-log-prefix', 'flood']).stdout,
      (out) => out.includes('finished'),
    );
    const logsDir = path.join(projectDir(root, p), 'containers', `${p}-flood-1`, 'logs');
    const files = fs.readdirSync(logsDir).sort();
    expect(files).toEqual(['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) expect(fs.statSync(path.join(logsDir, f)).size).toBeLessThanOrEqual(300 * 1024);
    const kept = numbers(logs, 'out-');
    // About 2.5 files of ~49-byte lines: the oldest are gone, the rest run unbroken to the last.
    expect(kept.length).toBeGreaterThan(10_000);
    expect(kept.length).toBeLessThan(LINES);
    expect(kept.at(-1)).toBe(LINES);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => LINES - kept.length + 1 + i));
  }, 180_000);
});
