import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildSpec } from '../runtime/runtime.js';
import { ContextCache, type BlobPiece } from './context-cache.js';
import { buildPayload, SENT_CONTEXT } from './remote-build.js';

/** The host's context cache served in this process as agent.ts serves it; what was asked and which files were sent. */
function host(root: string): { o: Parameters<typeof buildPayload>[2]; asked: string[][]; sent: string[]; said: string[] } {
  const cache = new ContextCache(root);
  const h = {
    asked: [] as string[][],
    sent: [] as string[],
    said: [] as string[],
    o: {
      digestsRoot: path.join(root, 'here'),
      say: (line: string) => void h.said.push(line),
      async call<T>(method: string, args: unknown[]): Promise<T> {
        if (method === 'contextMissing') {
          h.asked.push(args[0] as string[]);
          return (await cache.missing(args[0] as string[])) as T;
        }
        for (const p of args[0] as BlobPiece[]) if (p.final) h.sent.push(p.hash);
        cache.put(args[0] as BlobPiece[]);
        return null as T;
      },
    },
  };
  return h;
}

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
    const h = host(path.join(dir, 'host-1'));
    const p = await buildPayload(spec(), 'p/p-app', h.o);
    expect(JSON.stringify(p.spec)).not.toContain(value);
    expect(JSON.stringify(p.spec)).not.toContain(path.join(dir, 'secret'));
    expect(p.spec.secrets).toEqual([{ id: 'token', mode: 0o400 }]);
    expect(Buffer.from(p.extras.secrets.token!, 'base64').toString()).toBe(value);
    expect(p.spec.namedContexts).toEqual({ extra: `${SENT_CONTEXT}extra`, base: 'docker-image://busybox:1' });
    // A named folder is read whole, as the local builder reads it (its .dockerignore is a file like any).
    const named = p.extras.named.extra!;
    expect(named.key).toBe('p/p-app#extra');
    expect(named.entries.map((e) => e.name).sort()).toEqual(['.dockerignore', 'a.txt', 'sub', 'sub/b.txt']);
    // a.txt and sub/b.txt are one blob, sent once; with the Dockerfile, three files went.
    expect(new Set(named.entries.flatMap((e) => (e.hash ? [e.hash] : []))).size).toBe(2);
    expect(h.sent).toHaveLength(3);
    expect(new Set(h.sent).size).toBe(3);
    expect(h.asked).toHaveLength(2);
    expect(h.said).toEqual(['context: 1 files, 1 read here (10 B), 1 sent (10 B)', 'context extra: 3 files, 3 read here (16 B), 2 sent (11 B)']);
    expect(p.context?.key).toBe('p/p-app');
  });

  it('sends nothing the host has, and refuses a named context that is no folder', async () => {
    const h = host(path.join(dir, 'host-2'));
    await buildPayload(spec(), 'p/p-app', h.o);
    const sentBefore = h.sent.length;
    await buildPayload(spec(), 'p/p-app', h.o);
    expect(h.sent.length).toBe(sentBefore);
    await expect(buildPayload({ ...spec(), namedContexts: { extra: path.join(dir, 'secret') } }, 'k', h.o)).rejects.toThrow(/build context extra: .* is not a directory/);
  });
});
