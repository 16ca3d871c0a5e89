/**
 * The supervisor's idle exit as its socket shows it: a command connected keeps it, an events
 * follower alone does not; it goes a grace period after the last command left, removing its socket
 * and its ledger entry. No container is needed: a project with none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../testing/requirements.js';
import { openProjectLedger } from '../runtime/embedded/state/index.js';
import { SupervisorClient } from './client.js';
import { serveSupervisor, type SupervisorServer } from './server.js';

const roots: string[] = [];
const servers: SupervisorServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

async function start(graceMs: number): Promise<{ root: string; server: SupervisorServer; exited: () => boolean }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-sup-idle-'));
  roots.push(root);
  const server = await serveSupervisor({ root, project: 'idle', idleGraceMs: graceMs });
  servers.push(server);
  let done = false;
  void server.closed.then(() => (done = true));
  return { root, server, exited: () => done };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unmet(requireRoot()))('supervisor idle exit', () => {
  it('stays while a command is connected, goes a grace period after it left', async () => {
    const { root, server, exited } = await start(100);
    const client = await SupervisorClient.connect(server.socket, root);
    expect((await client.ping()).version).toMatch(/^\d+\.\d+\.\d+/);
    await tick(300);
    expect(exited()).toBe(false);
    await client.close();
    await tick(50);
    expect(exited()).toBe(false); // within the grace period: a next command would find it
    await tick(400);
    expect(exited()).toBe(true);
    expect(fs.existsSync(server.socket)).toBe(false);
    expect(openProjectLedger(root, 'idle').live()).toEqual([]);
  });

  it('an events follower alone does not keep it, and its stream ends when it goes', async () => {
    const { root, server, exited } = await start(100);
    const client = await SupervisorClient.connect(server.socket, root);
    const ac = new AbortController();
    const events = (async () => {
      for await (const _ of client.events({ 'io.hafen.project': 'idle' }, { signal: ac.signal })) void _;
    })();
    await tick(600);
    expect(exited()).toBe(true);
    await events; // ended, not failed
    await client.close();
  });
});
