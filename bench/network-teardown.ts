/**
 * The kernel's part of `down`'s tail (issue 16), without Node's start or the supervisor: a network's
 * bridge with SERVICES stand-in containers (processes in network namespaces of their own, wired by
 * the runtime's own attachContainer), whose processes die one after the other as a `down` of the
 * health chain stops them (GAP_MS apart, default 5); at the last death the network is removed and
 * the time is taken until the bridge and every veth are gone (`ip` returned, and the links gone
 * from /sys/class/net, as a stopped container's release waits for its veth).
 * The kernel's work only (the bridge's firewall rule goes afterwards, untimed). Two ways,
 * alternating within each run (RUNS, default 15), medians and min–max:
 *   - by name: the bridge deleted alone (`ip link del dev`, as removeBridge does), each veth left to
 *     the kernel's teardown of its dead namespace (as a stopped container's release waits for it);
 *   - as a group: the bridge and the host ends of its veths put in one interface group when made,
 *     then deleted in one request (`ip link del group N`: one unregister_netdevice_many, which pays
 *     its RCU grace periods once for all of them);
 * and the bridge alone (no ports, no namespaces): the floor of one request that deletes a bridge.
 * Needs root, unshare and ip. Run: npm run build && node dist/bench/network-teardown.js
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openProjectLedger } from '../src/runtime/embedded/state/project-paths.js';
import type { Ledger } from '../src/runtime/embedded/ledger/ledger.js';
import { attachContainer, createBridge, detachContainer, removeBridge, type BridgeInfo } from '../src/runtime/embedded/network/index.js';
import { Ipam } from '../src/runtime/embedded/network/ipam.js';
import { linksLeftAfter } from '../src/runtime/embedded/network/links-gone.js';
import { ipBatchResult } from '../src/runtime/embedded/network/ip-command.js';
import { hostVethName } from '../src/runtime/embedded/network/names.js';
import { spawnNetns, type NetnsProcess } from '../src/runtime/embedded/network/test-netns.js';
import { SERVICES } from './health-chain.js';
import { spread } from './spread.js';

const RUNS = Number(process.env.RUNS ?? 15);
const GAP_MS = Number(process.env.GAP_MS ?? 5);
const PROJECT = `benchnt${process.pid}`;
/** An interface group number of this run's own (bit 30 set: no one numbers groups so high by hand). */
const GROUP = 0x40000000 | (process.pid & 0x3fffffff);
type Way = 'by name' | 'as a group' | 'the bridge alone';

/** One network torn down `way`; returns ms from the last death (or the request) until nothing is left. */
async function teardown(root: string, ipam: Ipam, way: Way): Promise<number> {
  const ledger = openProjectLedger(root, PROJECT);
  const network = 'default';
  const alloc = await ipam.allocateNetwork(PROJECT, network);
  const bridge = await createBridge(ledger, { project: PROJECT, network, subnet: alloc.subnet });
  const stand: NetnsProcess[] = [];
  const containers: string[] = [];
  try {
    return await timed(ledger, ipam, way, bridge, stand, containers);
  } finally {
    // Also after a failure: nothing of the run stays (stand-ins, veths, the bridge, its subnet).
    for (const ns of stand) await ns.kill();
    for (const container of containers) {
      await detachContainer(ledger, { project: PROJECT, container, networks: [network] }, undefined, true);
      await ipam.releaseAddresses(PROJECT, container);
    }
    await removeBridge(ledger, { project: PROJECT, network });
    await ipam.releaseNetwork(PROJECT, network);
  }
}

/** The stand-ins made and wired, then killed in the chain's order and the network removed; ms as teardown() says. */
async function timed(ledger: Ledger, ipam: Ipam, way: Way, bridge: BridgeInfo, stand: NetnsProcess[], containers: string[]): Promise<number> {
  const network = bridge.network;
  if (way === 'as a group') execFileSync('ip', ['link', 'set', 'dev', bridge.name, 'group', String(GROUP)]);
  if (way !== 'the bridge alone') {
    for (let i = 1; i <= SERVICES; i++) {
      const ns = await spawnNetns();
      stand.push(ns);
      const container = `${PROJECT}-s${i}-1`;
      containers.push(container);
      const [address] = await ipam.assignAddresses(PROJECT, container, [{ network }]);
      await attachContainer(ledger, { pid: ns.pid, project: PROJECT, container, endpoints: [{ network, bridge: bridge.name, address: address!, prefix: bridge.prefix }] });
      if (way === 'as a group') execFileSync('ip', ['link', 'set', 'dev', hostVethName(PROJECT, container, network), 'group', String(GROUP)]);
    }
  }
  // The chain's order: s5 first, s1 last.
  for (let i = stand.length - 1; i > 0; i--) {
    await stand[i]!.kill();
    await sleep(GAP_MS);
  }
  const t0 = performance.now();
  await stand[0]?.kill();
  const veths = containers.map((c) => hostVethName(PROJECT, c, network));
  const request = way === 'as a group' ? `link del group ${GROUP}` : `link del dev ${bridge.name}`;
  const [left, del] = await Promise.all([linksLeftAfter([bridge.name, ...veths], 5000), ipBatchResult([request])]);
  if (del.code !== 0) throw new Error(`ip ${request}: ${del.stderr}`);
  const ms = performance.now() - t0;
  if (left.length > 0) throw new Error(`veths left: ${left.join(', ')}`);
  return ms;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-bench-nt-'));
  const ipam = new Ipam({ root, pool: [{ range: process.env.HAFEN_SUBNET_POOL?.split(':')[0] ?? '10.200.0.0/16', prefix: 24 }] });
  const ways: Way[] = ['by name', 'as a group', 'the bridge alone'];
  const times = new Map<Way, number[]>(ways.map((w) => [w, []]));
  try {
    for (let run = -1; run < RUNS; run++) {
      for (const way of ways) {
        const ms = await teardown(root, ipam, way);
        if (run >= 0) times.get(way)!.push(ms); // the first run warms up
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(`a network of ${SERVICES} containers removed as their processes die ${GAP_MS} ms apart: from the last death until nothing is left; ${RUNS} runs, median (min–max), ms; load ${load}`);
  for (const way of ways) console.log(`  ${way.padEnd(18)} ${spread(times.get(way)!)}`);
}

await main();
