/**
 * The example of issue 20, as a user writes it: a suite brings a stateful stack up once, seeds it,
 * takes a snapshot, and resets it before each test (`beforeEach(() => env.reset('seeded'))`), so
 * each test starts from exactly the seeded data, whatever the test before it wrote or deleted.
 * Runs in the suite like any e2e file (embedded runtime: root and overlayfs).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { up, type RunningStack } from 'hafen';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { stackLeftovers } from './stack-leftovers.js';

// A "database": one file per row in a named volume, a row count in its root filesystem.
const STACK = `services:
  db:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /rows; sleep 600 & wait"]
    volumes: ["rows:/rows"]
volumes:
  rows: {}
`;

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter')))('a suite that resets its stack before each test', () => {
  let root: string;
  let env: RunningStack;
  const project = `snx${randomBytes(3).toString('hex')}`;
  const sh = async (script: string): Promise<string> => {
    const r = await env.exec('db', ['sh', '-c', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };
  const rows = async (): Promise<string[]> => (await sh('ls /rows')).split('\n').filter(Boolean);

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-snapshot-example-'));
    process.env.HAFEN_SUBNET_POOL = '10.234.0.0/16:24';
    await importBusyboxImage(openStore(root));
    fs.writeFileSync(path.join(root, 'stack.yaml'), STACK);
    env = await up({ cwd: root, file: 'stack.yaml', project, root });
    // Seed once (a migration and fixtures, in a real suite)...
    await sh('echo alice > /rows/1 && echo bob > /rows/2 && echo 2 > /count');
    // ...and save that state.
    await env.snapshot('seeded');
  }, 120_000);

  // Every test starts from the seeded state, in constant time.
  beforeEach(() => env.reset('seeded'), 60_000);

  afterAll(async () => {
    await env?.down({ volumes: true });
    expect(stackLeftovers(project, root)).toEqual([]);
    fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('adds a row and deletes one', async () => {
    expect(await rows()).toEqual(['1', '2']);
    await sh('echo carol > /rows/3 && rm /rows/1 && echo 2 > /count');
    expect(await rows()).toEqual(['2', '3']);
  });

  it('sees the seeded rows again, whatever the test before did', async () => {
    expect(await rows()).toEqual(['1', '2']);
    expect(await sh('cat /rows/1 /count')).toBe('alice\n2\n');
    expect((await env.snapshots()).map((s) => s.name)).toEqual(['seeded']);
  });
});
