/**
 * The library as a test suite uses it: `up()` from the package's entry point on a small stack
 * (fixtures/library), the service answering on its url, exec and logs, and nothing left behind after
 * `down()`, `await using`, or a failed `up`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadinessError, StackError, up, type UpOptions } from 'hafen';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { repoRoot } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

const file = path.join(repoRoot, 'fixtures/library/stack.yaml');

/** Polls `check` until it passes (log lines are written a moment after the request is answered). */
async function eventually(check: () => Promise<void>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter')))('up() from hafen', () => {
  let root: string;
  const options = (extra: UpOptions = {}): UpOptions & { project: string } => ({
    file,
    root,
    project: `lib${randomBytes(3).toString('hex')}`,
    env: { GREETING: 'ahoy' },
    ...extra,
  });

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-library-'));
    // The supervisor inherits this: subnets of its own, so files running side by side never compete.
    process.env.HAFEN_SUBNET_POOL = '10.235.0.0/16:24';
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('brings the stack up: its url answers, exec and logs work, and down() leaves nothing', async () => {
    const opts = options();
    const env = await up(opts);
    try {
      expect(env.project).toBe(opts.project);
      // The check below sees what runs: the supervisor up() started.
      expect(stackLeftovers(opts.project, root)).toContainEqual(expect.stringMatching(/^supervisor process \d+$/));
      const port = await env.port('web', 8080);
      const url = await env.url('web', 8080, '/hello');
      expect(url).toBe(`http://127.0.0.1:${port}/hello`);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ greeting: 'ahoy', path: '/hello', instance: 'web-1' });

      expect(await env.exec('web', ['node', '-e', 'console.log(process.env.GREETING)'])).toEqual({ exitCode: 0, stdout: 'ahoy\n', stderr: '' });
      expect((await env.exec('web', ['sh', '-c', 'echo oops >&2; exit 4'])).exitCode).toBe(4);

      await eventually(async () => expect(await env.logs('web')).toMatch(/^greeter listening on :8080\n(.*\n)*GET \/hello\n/));
      expect((await env.ps()).map((c) => [c.name, c.state])).toEqual([[`${opts.project}-web-1`, 'running']]);
    } finally {
      await env.down();
    }
    expect(stackLeftovers(opts.project, root)).toEqual([]);
  }, 60_000);

  it('port() of a port that is not published names the service and the port', async () => {
    await using env = await up(options());
    const err = await env.port('web', 9090).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackError);
    expect((err as Error).message).toMatch(/service web: port 9090\/tcp of \S+-web-1 is not published \(published: 8080\/tcp\)/);
    await expect(env.exec('nope', ['true'])).rejects.toThrow(/no service nope in .*stack\.yaml \(services: broken, web\)/);
  }, 60_000);

  it('`await using` takes the stack down at the end of the block', async () => {
    const opts = options();
    {
      await using env = await up(opts);
      expect((await fetch(await env.url('web', 8080))).ok).toBe(true);
    }
    expect(stackLeftovers(opts.project, root)).toEqual([]);
  }, 60_000);

  it('a service that is never ready: up() rejects with a ReadinessError and leaves nothing', async () => {
    const opts = options({ profiles: ['broken'], services: ['broken'], waitTimeout: '20s' });
    const err = await up(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessError);
    expect(err).toMatchObject({ code: 'E_READINESS', service: 'broken' });
    expect((err as ReadinessError).logTail).toContain('broken: giving up');
    expect(stackLeftovers(opts.project, root)).toEqual([]);
  }, 60_000);
});
