import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerInfo, ContainerSpec } from '../runtime/runtime.js';
import type { AgentConnection } from './agent-connection.js';
import { RemoteRuntime } from './remote-runtime.js';
import { parseSshTarget } from './ssh-target.js';

/** A channel that answers as an agent whose host has none of the paths asked about. */
function channel(calls: string[]): AgentConnection {
  const info = { name: 'p-web-1', state: 'running', ports: [{ target: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 41000 }] } as unknown as ContainerInfo;
  return {
    target: parseSshTarget('ssh://root@vm'),
    call: async (method: string, args: unknown[]) => {
      calls.push(method);
      if (method === 'missingPaths') return args[0];
      return info;
    },
  } as unknown as AgentConnection;
}

const spec = (source: string): ContainerSpec => ({ name: 'p-web-1', mounts: [{ type: 'bind', source, target: '/app', readOnly: true }] }) as unknown as ContainerSpec;

describe('RemoteRuntime', () => {
  it('says once that a bind source exists only here, and reports forwarded ports at their local address', async () => {
    const here = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-bind-'));
    try {
      const calls: string[] = [];
      const said: string[] = [];
      const runtime = new RemoteRuntime(channel(calls), 'p', (l) => said.push(l));
      await runtime.createContainer(spec(here));
      await runtime.createContainer(spec(here));
      await runtime.createContainer(spec('/nowhere/at/all'));
      expect(said).toEqual([`ssh://root@vm: ${here} exists only on this machine; bind mounts are paths on the remote host (copy it there, or use a volume)`]);
      expect(calls.filter((c) => c === 'missingPaths')).toHaveLength(2);

      expect((await runtime.inspectContainer('p-web-1'))!.ports[0]).toMatchObject({ hostIp: '127.0.0.1', hostPort: 41000 });
      runtime.setForwards([{ remote: { hostIp: '127.0.0.1', hostPort: 41000 }, local: { hostIp: '127.0.0.1', hostPort: 52000 } }]);
      expect((await runtime.inspectContainer('p-web-1'))!.ports[0]).toMatchObject({ hostIp: '127.0.0.1', hostPort: 52000, target: 80 });
    } finally {
      fs.rmSync(here, { recursive: true, force: true });
    }
  });
});
