/**
 * After a container's command ended (by itself, a stop or a kill): what it held on the host goes —
 * its published ports, veths, cgroup, process entries in the ledger — and its record says exited,
 * with the code, whether the kernel OOM-killed it, and when; the other containers' /etc/hosts drop it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openCgroup } from '../cgroups/index.js';
import { detachContainer } from '../network/index.js';
import { processRunning } from '../process-info.js';
import type { ContainerRecord } from './container-record.js';
import type { Observed } from './container-state.js';
import type { RuntimeContext } from './runtime-context.js';
import { processEntries, saveRecord } from './start-container.js';
import { traced } from '../../../trace.js';

/** How long the launcher is given to exit after writing the status file. */
const LAUNCHER_EXIT_MS = 2000;

/** Releases what a finished container held and writes it down as exited; returns the new record. */
export async function finishContainer(
  ctx: RuntimeContext,
  record: ContainerRecord,
  observed: Observed,
  /** `stopRequested`: it ended because it was asked to (a stop or kill), written with the rest. */
  opts: { stopRequested?: boolean } = {},
): Promise<ContainerRecord> {
  const { name, project, run } = record;
  const ledger = ctx.ledger(project);
  ctx.log(`Releasing what container ${name} held (it ${observed.state === 'dead' ? 'vanished' : `exited with ${observed.exitCode}`})`);
  if (record.ports.length > 0) await ctx.proxies(project).stop(name);
  if (record.networks.length > 0) await traced('finish: detach', name, () => detachContainer(ledger, { project, container: name, networks: record.networks.map((n) => n.name) }, ctx.log, true));
  if (run) {
    // The launcher writes the status, then closes the log and exits: give it that moment.
    const t0 = performance.now();
    for (const deadline = Date.now() + LAUNCHER_EXIT_MS; processRunning(run.launcherPid, run.launcherStartTime) && Date.now() < deadline; ) await sleep(1);
    await traced('finish: launcher exit', name, () => performance.now() - t0);
    await traced('finish: cgroup', name, () => openCgroup(`hafen/${project}/${name}`, { ledger, layout: ctx.cgroupLayout() }).remove());
    const gone = processEntries(run).filter((e) => e.kind === 'process' && !processRunning(e.pid, e.startTime));
    ledger.removeAll(gone);
  }
  const exited: ContainerRecord = {
    ...record,
    state: 'exited',
    exit: { exitCode: observed.exitCode ?? 0, oomKilled: observed.oomKilled },
    finishedAt: observed.finishedAt ?? new Date().toISOString(),
    ports: [],
    health: 'none',
    ...(opts.stopRequested ? { stopRequested: true } : {}),
  };
  await traced('finish: record and hosts', name, () => saveRecord(ctx, exited));
  return exited;
}
