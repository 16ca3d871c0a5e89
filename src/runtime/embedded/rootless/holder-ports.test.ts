import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HolderPortSet } from './holder-ports.js';

describe('HolderPortSet without a running keeper', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses to publish in one line naming what to do, and has nothing to remove', async () => {
    const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-holder-ports-'));
    dirs.push(runtimeDir);
    // A record of a keeper that is gone (pid 0 never runs): not used.
    fs.mkdirSync(path.join(runtimeDir, 'network'));
    fs.writeFileSync(path.join(runtimeDir, 'network', 'network.json'), JSON.stringify({ version: 1, holderPid: 0, holderStartTime: '1', keeperPid: 0, keeperStartTime: '1', relayPid: 0, stateDir: path.join(runtimeDir, 'network'), controlSocket: path.join(runtimeDir, 'network', 'ports.sock'), outbound: { unavailable: 'x' } }));
    const set = new HolderPortSet('shop', runtimeDir);
    await expect(set.start([{ service: 'web', container: 'shop-web-1', protocol: 'tcp', targetIp: '10.210.0.2', targetPort: 80 }])).rejects.toThrow(
      `project shop: cannot publish ports: the rootless network keeper of your namespace holder is not running (no ${runtimeDir}/network/network.json of a live keeper); \`stack down\` your projects and \`up\` again`,
    );
    await expect(set.stop()).resolves.toBeUndefined();
    await set.close();
  });
});
