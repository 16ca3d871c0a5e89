import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildSpec } from '../runtime/runtime.js';
import { buildPayload, SENT_CONTEXT } from './remote-build.js';

describe('buildPayload (what a remote build sends)', () => {
  let dir: string;
  const value = 'the-value-itself';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-payload-'));
    fs.mkdirSync(path.join(dir, 'ctx'));
    fs.writeFileSync(path.join(dir, 'ctx', 'Dockerfile'), 'FROM host\n');
    fs.mkdirSync(path.join(dir, 'extra', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'extra', 'a.txt'), 'same\n');
    fs.writeFileSync(path.join(dir, 'extra', 'sub', 'b.txt'), 'same\n');
    fs.writeFileSync(path.join(dir, 'extra', '.dockerignore'), 'a.txt\n');
    fs.writeFileSync(path.join(dir, 'secret'), value);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const spec = (): BuildSpec => ({
    contextDir: path.join(dir, 'ctx'),
    dockerfile: 'Dockerfile',
    args: {},
    tag: 'p-app',
    noCache: false,
    labels: {},
    namedContexts: { extra: path.join(dir, 'extra'), base: 'docker-image://busybox:1' },
    secrets: [{ id: 'token', file: path.join(dir, 'secret'), mode: 0o400 }],
  });

  it('keeps secret values out of the spec (in the extras only), names folder contexts for the agent, and sends each missing file once', async () => {
    const asked: string[][] = [];
    const p = await buildPayload(spec(), 'p/p-app', async (hashes) => (asked.push(hashes), hashes));
    expect(JSON.stringify(p.spec)).not.toContain(value);
    expect(JSON.stringify(p.spec)).not.toContain(path.join(dir, 'secret'));
    expect(p.spec.secrets).toEqual([{ id: 'token', mode: 0o400 }]);
    expect(Buffer.from(p.extras.secrets.token!, 'base64').toString()).toBe(value);
    expect(p.spec.namedContexts).toEqual({ extra: `${SENT_CONTEXT}extra`, base: 'docker-image://busybox:1' });
    // A named folder is read whole, as the local builder reads it (its .dockerignore is a file like any).
    const named = p.extras.named.extra!;
    expect(named.key).toBe('p/p-app#extra');
    expect(named.entries.map((e) => e.name).sort()).toEqual(['.dockerignore', 'a.txt', 'sub', 'sub/b.txt']);
    // a.txt and sub/b.txt are one blob, sent once.
    expect(Object.keys(named.blobs)).toHaveLength(2);
    expect(asked).toHaveLength(2);
    expect(p.context?.key).toBe('p/p-app');
  });

  it('sends nothing the host has, and refuses a named context that is no folder', async () => {
    const p = await buildPayload(spec(), 'p/p-app', async () => []);
    expect(p.context!.blobs).toEqual({});
    expect(p.extras.named.extra!.blobs).toEqual({});
    await expect(buildPayload({ ...spec(), namedContexts: { extra: path.join(dir, 'secret') } }, 'k', async () => [])).rejects.toThrow(/build context extra: .* is not a directory/);
  });
});
