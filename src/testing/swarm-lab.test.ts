/** The two-node swarm lab itself: both nodes join with their own names, the machine's dockerd stays out, nothing is left. */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSwarmLab, startSwarmLab, swarmLabLeftovers, type SwarmLab } from './swarm-lab.js';
import { unmet } from './requirements.js';

describe.skipIf(unmet(...requireSwarmLab()))('swarm lab', () => {
  let lab: SwarmLab | undefined;
  beforeAll(async () => {
    lab = await startSwarmLab();
  }, 120_000);
  afterAll(async () => {
    await lab?.stop();
  }, 120_000);

  it('joins a manager and a worker, each with its own hostname, and loads an image into both', async () => {
    const nodes = (await lab!.manager.docker.listNodes()) as { Description: { Hostname: string }; Spec: { Role: string }; Status: { State: string } }[];
    expect(nodes.map((n) => [n.Description.Hostname, n.Spec.Role, n.Status.State]).sort()).toEqual([
      [lab!.manager.hostname, 'manager', 'ready'],
      [lab!.worker.hostname, 'worker', 'ready'],
    ]);
    await lab!.importBusybox('local/busybox:1');
    for (const n of lab!.nodes) expect((await n.docker.getImage('local/busybox:1').inspect()).Id).toMatch(/^sha256:/);
    // The machine's own dockerd (when there is one) is never put in swarm mode.
    const main = spawnSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    if (main.status === 0) expect(main.stdout.trim()).toBe('inactive');
  }, 60_000);

  it('stop() leaves nothing: no namespace, process, mount, cgroup or folder', async () => {
    const it = lab!;
    await it.stop();
    expect(swarmLabLeftovers(it)).toEqual([]);
    await it.stop(); // twice is harmless
  }, 120_000);
});
