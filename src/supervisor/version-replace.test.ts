/**
 * A supervisor of another hafen version (an upgrade) is asked to go by the next command that needs
 * one, and a new one of this version takes its place. The old one is played by a socket that
 * answers as an older supervisor does; the new one is the built supervisor (dist/).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../testing/requirements.js';
import { version } from '../version.js';
import { lineSplitter } from './protocol.js';
import { supervisorSocket } from './server.js';
import { ensureSupervisor } from './spawn.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/** Serves ping (as version `old`, or none) and shutdown (closes) on the project's socket; resolves when shut down. */
function oldSupervisor(socket: string, old: string | undefined): { shutDown: Promise<void> } {
  let done!: () => void;
  const shutDown = new Promise<void>((r) => (done = r));
  const server = net.createServer((conn) => {
    conn.on(
      'data',
      lineSplitter((line) => {
        const req = JSON.parse(line) as { id: number; method: string };
        if (req.method === 'ping') {
          // pid: one that is not running (the real old supervisor's process is waited for).
          conn.write(`${JSON.stringify({ id: req.id, ok: true, result: { pid: 2 ** 22 + 1, project: 'p', startedAt: '', restarts: {}, ...(old ? { version: old } : {}) } })}\n`);
        } else if (req.method === 'shutdown') {
          conn.end(`${JSON.stringify({ id: req.id, ok: true, result: null })}\n`);
          server.close();
          done();
        }
      }),
    );
  });
  server.listen(socket);
  return { shutDown };
}

describe.skipIf(unmet(requireRoot()) || !fs.existsSync(new URL('../../dist/src/supervisor/main.js', import.meta.url)))('a supervisor of another version', () => {
  for (const old of ['0.0.1', undefined]) {
    it(`is replaced by one of this version (old: ${old ?? 'no version in its hello'})`, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-sup-version-'));
      roots.push(root);
      const socket = supervisorSocket(root, 'p');
      const fake = oldSupervisor(socket, old);
      await new Promise((r) => setTimeout(r, 50));
      const client = await ensureSupervisor(root, 'p');
      try {
        await fake.shutDown;
        const status = await client.ping();
        expect(status.version).toBe(version);
        expect(status.pid).not.toBe(process.pid);
      } finally {
        await client.shutdown();
      }
      expect(fs.existsSync(path.join(root, 'projects', 'p', 'supervisor.sock'))).toBe(false);
    }, 30_000);
  }
});
