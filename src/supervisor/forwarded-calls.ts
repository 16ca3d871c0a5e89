/**
 * The Runtime calls that travel unchanged to the process that owns a project's containers: the
 * supervisor over its socket (client.ts), or a remote host's agent over ssh
 * (src/remote/remote-runtime.ts). A subclass says how a call travels (`call`) and overrides only
 * what it does differently, so a new runtime method is forwarded once for both.
 */
import type { ContainerInfo, ContainerSpec, ContainerStats, ExitStatus, NetworkSpec, ProcessTable, VolumeSpec } from '../runtime/runtime.js';
import type { ResetOptions, SnapshotInfo, SnapshotOptions } from '../runtime/snapshot-types.js';
import type { Method } from './protocol.js';
import { specToWire } from './wire-spec.js';

export abstract class ForwardedRuntimeCalls {
  /** Sends `method(args)` to the owning process and resolves to its result. */
  protected abstract call<T>(method: Method, args: unknown[], signal?: AbortSignal): Promise<T>;

  hasImage(ref: string): Promise<boolean> {
    return this.call('hasImage', [ref]);
  }

  createNetwork(spec: NetworkSpec): Promise<void> {
    return this.call('createNetwork', [spec]);
  }
  removeNetwork(name: string): Promise<void> {
    return this.call('removeNetwork', [name]);
  }
  createVolume(spec: VolumeSpec): Promise<void> {
    return this.call('createVolume', [spec]);
  }
  removeVolume(name: string): Promise<void> {
    return this.call('removeVolume', [name]);
  }
  listNetworks(labels: Record<string, string>): Promise<string[]> {
    return this.call('listNetworks', [labels]);
  }
  listVolumes(labels: Record<string, string>): Promise<string[]> {
    return this.call('listVolumes', [labels]);
  }

  createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    return this.call('createContainer', [specToWire(spec)]);
  }
  startContainer(name: string): Promise<ContainerInfo> {
    return this.call('startContainer', [name]);
  }
  stopContainer(name: string, opts?: { timeout?: number }): Promise<void> {
    return this.call('stopContainer', [name, opts ?? {}]);
  }
  killContainer(name: string, signal?: string): Promise<void> {
    return this.call('killContainer', signal === undefined ? [name] : [name, signal]);
  }
  removeContainer(name: string, opts?: { force?: boolean }): Promise<void> {
    return this.call('removeContainer', [name, opts ?? {}]);
  }
  async inspectContainer(name: string): Promise<ContainerInfo | undefined> {
    return (await this.call<ContainerInfo | null>('inspectContainer', [name])) ?? undefined;
  }
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return this.call('listContainers', [labels]);
  }
  waitContainer(name: string, signal?: AbortSignal): Promise<ExitStatus> {
    return this.call('waitContainer', [name], signal);
  }
  stats(name: string): Promise<ContainerStats> {
    return this.call('stats', [name]);
  }
  pauseContainer(name: string): Promise<void> {
    return this.call('pauseContainer', [name]);
  }
  unpauseContainer(name: string): Promise<void> {
    return this.call('unpauseContainer', [name]);
  }
  top(name: string): Promise<ProcessTable> {
    return this.call('top', [name]);
  }

  // Snapshots and resets (issue 20): kept where the containers they capture are.
  snapshot(project: string, name: string, containers: string[], opts?: SnapshotOptions): Promise<SnapshotInfo> {
    return this.call('snapshot', [project, name, containers, opts ?? {}]);
  }
  listSnapshots(project: string): Promise<SnapshotInfo[]> {
    return this.call('listSnapshots', [project]);
  }
  removeSnapshot(project: string, name: string): Promise<void> {
    return this.call('removeSnapshot', [project, name]);
  }
  resetToSnapshot(project: string, name: string, containers: string[], opts?: ResetOptions): Promise<void> {
    return this.call('resetToSnapshot', [project, name, containers, opts ?? {}]);
  }
}
