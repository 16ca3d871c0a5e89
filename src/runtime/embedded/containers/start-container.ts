/**
 * Starting a created (or exited) container: its cgroup with limits and device rules, hafen-run detached with a log
 * file and a status file, and while its namespaces wait for `go`: its process in the ledger, its
 * veths on its networks, its published ports, its state written and every /etc/hosts on its
 * networks rewritten, so names resolve both ways before the command runs. A failing step undoes
 * what this start made and throws a RuntimeError naming the container and the step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { Label, type PortBinding } from '../../runtime.js';
import { cgroupDirs, createCgroupAsync } from '../cgroups/index.js';
import { isRootless } from '../rootless/user-namespace.js';
import { outboundRouteLines } from '../rootless/container-route.js';
import { findNetwork } from './network-store.js';
import type { CgroupLimits } from '../cgroups/limits.js';
import { launch, type LaunchedProcess } from '../launcher/launch.js';
import { resolveUserInRootfs, type ResolvedUser } from '../launcher/passwd.js';
import { normalizeContainerConfig } from '../store/index.js';
import type { LaunchSpec } from '../launcher/spec.js';
import { processStartTime, type LedgerResource } from '../ledger/ledger.js';
import { attachContainer, checkAttached, detachContainer, prepareAttach } from '../network/index.js';
import { containerPaths, type ContainerPaths } from '../state/index.js';
import { containerLayers } from '../snapshots/container-layers.js';
import { mountLayeredVolumesOf } from '../snapshots/layered-volume.js';
import { mountAnonymousVolumes } from '../snapshots/anonymous-volumes.js';
import { keptHostPort } from '../snapshots/kept-ports.js';
import { writeRecord, type ContainerRecord, type RecordProcess, type RecordRun } from './container-record.js';
import { syncHosts } from './hosts-sync.js';
import { groupIdsInRootfs } from '../launcher/group-add.js';
import { containerOptions, processOptions, withoutBinds } from './process-options.js';
import { networkNamespace } from './network-mode.js';
import { containerSeccompFilter, seccompChoice } from '../../../seccomp/container-filter.js';
import { containerCapabilities, containerCommand, containerCwd, containerEnv, containerHealthcheck } from './process-spec.js';
import { reasonOf, type RuntimeContext } from './runtime-context.js';
import { UndoStack } from './undo-stack.js';
import { launchLog } from './log-config.js';
import { containerDeviceRules } from './device-nodes.js';
import { traced } from '../../../trace.js';

/** The spec's limits and its memory reservation, as the cgroup takes them. */
function cgroupLimits(spec: ContainerRecord['spec']): CgroupLimits {
  return { ...spec.resources, ...(spec.memoryReservation !== undefined ? { memoryReservation: spec.memoryReservation } : {}) };
}

/** `log` of the launch spec, left out for `logging: {driver: none}`. */
function logOption(logging: ContainerRecord['spec']['logging'], file: string): Pick<LaunchSpec, 'log'> {
  const log = launchLog(logging, file);
  return log ? { log } : {};
}

/** Past this size a container's log file is rotated to `.1` (so at most twice this is kept), unless `logging:` says otherwise. */
export { LOG_MAX_BYTES } from './log-config.js';

/** A container's log file. */
export function logFile(paths: ContainerPaths): string {
  return path.join(paths.logs, 'container.log');
}

/** Writes a record, rewriting the hosts files of running containers when it is on a network. */
export async function saveRecord(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  if (record.networks.length === 0) writeRecord(ctx.root, record);
  else await syncHosts(ctx.root, () => writeRecord(ctx.root, record));
}

/** The process entries of a run, as the ledger holds them. */
export function processEntries(run: Pick<RecordRun, 'pid' | 'startTime' | 'launcherPid' | 'launcherStartTime'>): LedgerResource[] {
  return [
    { kind: 'process', pid: run.pid, startTime: run.startTime },
    { kind: 'process', pid: run.launcherPid, startTime: run.launcherStartTime },
  ];
}

/**
 * The container's user (spec, else image, else root) from its /etc/passwd and /etc/group; the
 * answer for an image is kept while the container's own layer is empty (it cannot differ then).
 */
async function resolveUser(ctx: RuntimeContext, record: ContainerRecord, roots: string[]): Promise<ResolvedUser> {
  const user = record.spec.user ?? record.image.config.User ?? '';
  const fresh = record.image.digest !== undefined && fs.readdirSync(roots[0]!).length === 0;
  const key = `${record.image.digest}\0${(record.snapshotLayers ?? []).join(',')}\0${user}`; // snapshot layers may hold another /etc/passwd (issue 20)
  const known = fresh ? ctx.cache.users.get(key) : undefined;
  if (known) return known;
  const resolved = await resolveUserInRootfs(roots, user);
  if (fresh) ctx.cache.users.set(key, resolved);
  return resolved;
}

/** The steps of one start: each traced, and a failing one undoes what the start made so far. */
interface StartSteps {
  step<T>(what: string, fn: () => T | Promise<T>): Promise<T>;
  readonly undo: UndoStack;
  /** The launched container, once there is one: a later failure may be its setup's. */
  setupOf: LaunchedProcess | undefined;
}

function startSteps(ctx: RuntimeContext, name: string): StartSteps {
  const resource = `container ${name}`;
  const steps: StartSteps = {
    undo: new UndoStack(),
    setupOf: undefined,
    async step<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
      try {
        return await traced(`start: ${what}`, name, fn);
      } catch (caught) {
        const early = await steps.setupOf?.setupFailure(300);
        const err = early ?? caught;
        if (early) what = 'setting it up';
        await steps.undo.run(ctx.log);
        ctx.log(`Starting ${resource} failed while ${what}: ${reasonOf(err, resource)}`);
        throw new RuntimeError(resource, `${what}: ${reasonOf(err, resource)}`, { cause: err });
      }
    },
  };
  return steps;
}

/**
 * A start carried as far as it goes without running the command (issue 16): cgroup made, launcher
 * running, namespaces and filesystem set up, veths wired, its processes in the ledger; the command
 * waits for `go`. completeStart runs it; cancelStart takes it all down again.
 */
export interface PreparedStart {
  /** The record it was prepared from (a start of a record that changed since prepares anew). */
  readonly record: ContainerRecord;
  readonly launched: LaunchedProcess;
  readonly run: RecordRun;
  readonly steps: StartSteps;
}

/** Starts the container of `record`; returns its record as written, running. */
export async function startContainer(ctx: RuntimeContext, record: ContainerRecord, attach?: string): Promise<ContainerRecord> {
  return completeStart(ctx, await prepareStart(ctx, record), attach);
}

/** Takes down what a prepared start made (its launcher ends the container, which never ran its command). */
export async function cancelStart(ctx: RuntimeContext, prepared: PreparedStart): Promise<void> {
  ctx.log(`Dropping the prepared start of container ${prepared.record.name}`);
  await prepared.steps.undo.run(ctx.log);
  prepared.launched.release();
}

/** Everything of a start up to the command's `go` (see PreparedStart); a failing step undoes what it made and throws. */
export async function prepareStart(ctx: RuntimeContext, record: ContainerRecord): Promise<PreparedStart> {
  const { name, project, spec } = record;
  const resource = `container ${name}`;
  const paths = containerPaths(ctx.root, project, name);
  const ledger = ctx.ledger(project);
  const steps = startSteps(ctx, name);
  const { step, undo } = steps;
  ctx.log(`Starting ${resource}`);
  const config = normalizeContainerConfig(record.image.config); // records written by older versions kept the image's nulls
  const layers = await step('reading its image', () => containerLayers(ctx.store, record, path.join(paths.dir, 'empty'), ctx.cache.layers)); // snapshot layers too (issue 20)
  const user = await step('resolving its user', () => resolveUser(ctx, record, [paths.upper, ...layers.lower]));
  const proc: RecordProcess = await step('preparing its command', () => ({
    command: containerCommand(spec, config),
    env: containerEnv(spec, config, user.home),
    cwd: containerCwd(spec, config),
    user: { uid: user.uid, gid: user.gid, groups: user.groups },
    capabilities: containerCapabilities(spec),
    cgroups: [],
    ...(spec.privileged ? { privileged: true } : {}),
    ...processOptions(spec),
  }));
  await step('mounting its layered volumes', async () => {
    await mountLayeredVolumesOf(ctx, project, spec.mounts);
    await mountAnonymousVolumes(ctx, record);
  }); // issue 20
  const seccomp = await step('compiling its seccomp filter', () => containerSeccompFilter(seccompChoice(spec.securityOpt, spec.privileged), proc.capabilities));
  if (seccomp) proc.seccomp = seccomp.toString('base64');
  if (spec.groupAdd?.length) {
    const extra = await step('resolving its group_add', () => groupIdsInRootfs([paths.upper, ...layers.lower], spec.groupAdd!));
    proc.user = { ...proc.user, groups: [...new Set([...(proc.user.groups ?? []), ...extra])] };
  }
  const shared = await step('finding the namespaces it shares', () => containerOptions(ctx.root, project, spec));
  const devices = await step('reading its devices', () => containerDeviceRules(spec));
  // A user without root and no delegated cgroup (issue 17): no cgroup; `up` said once which limits go unapplied.
  const noCgroups = cgroupDirs(ctx.cgroupLayout(), `hafen/${project}/${name}`).length === 0 && isRootless();
  if (noCgroups) ctx.log(`${resource}: no cgroup (none is delegated to this user): its limits and device rules are not applied`);
  // A user without root given cgroups for its limits gets no device cgroup (rootless-cgroups.ts: setting
  // device rules needs privilege): the user namespace already keeps the container from making or
  // opening device nodes the user could not open on the host, so the limits go on without the rules.
  const deviceRules = isRootless() && !ctx.cgroupLayout().controllers.devices ? undefined : devices;
  const cgroup = noCgroups
    ? undefined
    : await step('creating its cgroup', () =>
        createCgroupAsync(ledger, `hafen/${project}/${name}`, cgroupLimits(spec), { owner: name, layout: ctx.cgroupLayout(), ...(deviceRules ? { devices: deviceRules } : {}), ...(spec.cgroup ? { tuning: spec.cgroup } : {}) }),
      );
  if (cgroup) undo.push('cgroup', () => cgroup.remove());
  proc.cgroups = cgroup ? [...cgroup.dirs] : [];

  fs.rmSync(paths.status, { force: true });
  const namespace = await step('finding its network namespace', () => networkNamespace(ctx.root, record));
  const launchSpec: LaunchSpec = {
    ...proc,
    ...(seccomp ? { seccompFilter: seccomp } : {}),
    rootfs: { kind: 'overlay', lower: layers.lower, upper: paths.upper, work: paths.work, target: paths.rootfs },
    readOnlyRootfs: spec.readOnly,
    hostReadOnly: layers.hostReadOnly,
    binds: [
      ...record.binds,
      { source: namespace.files.hosts, target: '/etc/hosts' },
      { source: namespace.files.hostname, target: '/etc/hostname' },
      { source: namespace.files.resolvConf, target: '/etc/resolv.conf' },
      ...shared.binds,
    ],
    tmpfs: record.tmpfs,
    net: namespace.net,
    hostname: namespace.hostname,
    ...(spec.domainname ? { domainname: spec.domainname } : {}),
    tty: spec.tty,
    ...(spec.stdinOpen ? { stdinOpen: true } : {}),
    ...logOption(spec.logging, logFile(paths)),
    detach: { statusFile: paths.status },
    ...withoutBinds(shared),
  };
  // On a network namespace of its own, the launcher wires it before it tells the pid (issue 16):
  // the veths are in the ledger first, and the lines are the ones attachContainer would run.
  const attach = {
    project,
    container: name,
    endpoints: record.networks.map((n) => ({ network: n.name, bridge: n.bridge, address: n.address, prefix: n.prefix, ...(n.mac ? { mac: n.mac } : {}) })),
  };
  const launcherWires = record.networks.length > 0 && (launchSpec.net ?? 'new') === 'new';
  if (launcherWires) {
    const networks = record.networks.map((n) => n.name);
    undo.push('network interfaces', () => detachContainer(ledger, { project, container: name, networks }, ctx.log));
    launchSpec.netSetup = (await step('preparing its network interfaces', () => prepareAttach(ledger, attach, ctx.log))).lines;
    // A user without root with outbound network (slirp4netns): the container's way out (issue 17).
    if (isRootless()) launchSpec.netSetup = [...launchSpec.netSetup, ...outboundRouteLines(record.networks.map((n) => ({ gateway: n.gateway, internal: findNetwork(ctx.root, n.name, n.owner)?.internal ?? false })))];
  }
  const launched = await step('launching it', () => launch(launchSpec, { name: resource }));
  // Past this point a step may fail only because the launcher's setup failed (the container's
  // namespaces gone with it): that cause is the one to report.
  steps.setupOf = launched;
  let entries: LedgerResource[] = [];
  undo.push('process entries', () => ledger.removeAll(entries));
  undo.push('process', async () => {
    launched.kill('SIGKILL');
    await launched.wait();
    fs.rmSync(paths.status, { force: true });
  });
  const run: RecordRun = await step('recording its process', () => {
    const startTime = processStartTime(launched.pid);
    const launcherStartTime = processStartTime(launched.launcherPid);
    if (!startTime || !launcherStartTime) throw new Error('its process ended at once');
    const r = { pid: launched.pid, startTime, launcherPid: launched.launcherPid, launcherStartTime, process: proc };
    entries = processEntries(r);
    ledger.addAll(entries, name);
    return r;
  });

  if (launcherWires) {
    await step('connecting it to its networks', () => checkAttached(attach));
  } else if (record.networks.length > 0) {
    const networks = record.networks.map((n) => n.name);
    undo.push('network interfaces', () => detachContainer(ledger, { project, container: name, networks }, ctx.log));
    await step('connecting it to its networks', () => attachContainer(ledger, { pid: run.pid, ...attach }, ctx.log));
  }
  return { record, launched, run, steps };
}

/**
 * Publishes a prepared start's ports, writes it down as running (every /etc/hosts on its networks too) and runs its command;
 * `attach`: a CLI's attach socket, whose stdio the command gets (an attached `stack run`).
 */
export async function completeStart(ctx: RuntimeContext, prepared: PreparedStart, attach?: string): Promise<ContainerRecord> {
  const { record, launched, run, steps } = prepared;
  const { name, project, spec } = record;
  const resource = `container ${name}`;
  const { step, undo } = steps;
  const config = normalizeContainerConfig(record.image.config);
  let ports: PortBinding[] = [];
  if (spec.ports.length > 0) {
    const proxies = ctx.proxies(project);
    undo.push('published ports', () => proxies.stop(name));
    const target = record.networks[0]!.address;
    const published = await step('publishing its ports', () =>
      proxies.start(
        spec.ports.map((p) => ({
          service: spec.labels[Label.service] ?? name,
          container: name,
          protocol: p.protocol,
          hostIp: p.host_ip || '127.0.0.1',
          hostPort: p.published ?? keptHostPort(record, p) ?? 0, // a reset keeps the ports it had (issue 20)
          targetIp: target,
          targetPort: p.target,
        })),
      ),
    );
    ports = published.map((p) => ({ target: p.target, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort }));
  }

  const running: ContainerRecord = {
    ...record,
    state: 'running',
    startedAt: new Date().toISOString(),
    run,
    ports,
    health: containerHealthcheck(spec, config) ? 'starting' : 'none',
  };
  delete running.finishedAt;
  delete running.exit;
  delete running.stopRequested;
  undo.push('state', () => saveRecord(ctx, record));
  await step('writing its state and name files', () => saveRecord(ctx, running));
  await step(attach !== undefined ? 'attaching the terminal and starting its command' : 'starting its command', () => launched.go(attach));
  launched.release();
  ctx.log(`Started ${resource} (pid ${run.pid})`);
  return running;
}
