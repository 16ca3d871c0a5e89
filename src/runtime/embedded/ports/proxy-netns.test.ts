/** Published ports into a real container network (root): host loopback → bridge → a server in a netns. */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks } from '../../../testing/leaks.js';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import type { Ledger } from '../ledger/ledger.js';
import { attachContainer, detachContainer } from '../network/attach.js';
import { createBridge, removeBridge } from '../network/bridge.js';
import { Ipam } from '../network/ipam.js';
import { spawnNetns, startEchoServer, type Background, type NetnsProcess } from '../network/test-netns.js';
import { openProjectLedger } from '../state/project-paths.js';
import { ProxySet } from './proxy-set.js';

const PROJECT = 'proxytest';

describe.skipIf(unmet(requireRoot(), requireCommand('unshare'), requireCommand('nsenter'), requireCommand('ip'), requireCommand('ss')))(
  'published ports into a container',
  () => {
    let root: string;
    let ledger: Ledger;
    let ipam: Ipam;
    let ns: NetnsProcess;
    let server: Background;
    let address: string;

    beforeEach(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-proxy-'));
      ledger = openProjectLedger(root, PROJECT);
      ipam = new Ipam({ root, pool: [{ range: '10.215.0.0/16', prefix: 24 }] });
      const alloc = await ipam.allocateNetwork(PROJECT, 'default');
      const bridge = await createBridge(ledger, { project: PROJECT, network: 'default', subnet: alloc.subnet });
      ns = await spawnNetns();
      address = await ipam.assignAddress(PROJECT, 'default', 'proxytest-web-1');
      await attachContainer(ledger, {
        pid: ns.pid,
        project: PROJECT,
        container: 'proxytest-web-1',
        endpoints: [{ network: 'default', bridge: bridge.name, address, prefix: bridge.prefix }],
      });
      server = await startEchoServer(ns.pid, address, 8080);
    });

    afterEach(async () => {
      await server.stop();
      await detachContainer(ledger, { project: PROJECT, container: 'proxytest-web-1', networks: ['default'] });
      await ns.kill();
      await removeBridge(ledger, { project: PROJECT, network: 'default' });
      await ipam.releaseNetwork(PROJECT, 'default');
      expect(ledger.live()).toEqual([]);
      expect(ipam.list(PROJECT)).toEqual([]);
      expect(findLeaks(PROJECT, { root })).toEqual([]);
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('forwards a free port of 127.0.0.1 to the container, TCP and UDP, and listens on loopback only', async () => {
      await using set = new ProxySet(PROJECT);
      const [tcp, udp] = await set.start([
        { service: 'web', container: 'proxytest-web-1', protocol: 'tcp', targetIp: address, targetPort: 8080 },
        { service: 'web', container: 'proxytest-web-1', protocol: 'udp', targetIp: address, targetPort: 8080 },
      ]);

      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: tcp!.hostPort, allowHalfOpen: true });
        let text = '';
        s.on('connect', () => s.end('hello'));
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      });
      expect(reply).toBe('echo:hello');

      const client = dgram.createSocket('udp4');
      const datagram = await new Promise<string>((resolve) => {
        client.once('message', (m) => resolve(m.toString()));
        client.send('ping', udp!.hostPort, '127.0.0.1');
      });
      client.close();
      expect(datagram).toBe('echo:ping');

      const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[3])
        .filter((local) => local?.endsWith(`:${tcp!.hostPort}`));
      expect(listening).toEqual([`127.0.0.1:${tcp!.hostPort}`]);
      const udpBound = execFileSync('ss', ['-Hlun'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/)[3]);
      expect(udpBound.filter((local) => local?.endsWith(`:${udp!.hostPort}`))).toEqual([`127.0.0.1:${udp!.hostPort}`]);
    });
  },
);
