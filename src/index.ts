/**
 * hafen as a library: `import { up } from 'hafen'` brings a stack up for a test suite and hands back
 * a RunningStack (ports, urls, logs, exec, down, `await using`). DESIGN.md, "As a library".
 */
export { up, type UpOptions } from './library/up.js';
export type { RunningStack, DownOptions, ExecInOptions, PortOptions } from './library/running-stack.js';
export {
  StackError,
  ConfigError,
  ConfigNotFoundError,
  CycleError,
  ReadinessError,
  RuntimeError,
  InterruptedError,
  UsageError,
  type ConfigIssue,
  type SourceLocation,
  type StackErrorCode,
} from './errors.js';
export type { ContainerInfo, ContainerState, ExecResult, Health, LogLine, PortBinding } from './runtime/runtime.js';
export type { ErrorInfo, Event, EventKind, EventOf, EventSink, ServiceState } from './executor/events.js';
export type { Millis, Protocol, Stack } from './config/model.js';
export { version } from './version.js';
// Machine-readable output (docs/machine-output.md): `--progress json` lines, `stack events --json`, `ps --json`.
export { MACHINE_OUTPUT_VERSION, PROGRESS_KINDS } from './renderers/machine-lines.js';
export type { ContainerEventLine, ErrorLine, MessageLine, ProgressKind, ProgressLine } from './renderers/machine-lines.js';
export type { ContainerEvent, ContainerEventAction, ImageInfo } from './runtime/runtime.js';
export type { PsRow } from './orchestrator/ps-row.js';
export type { ProjectImage } from './orchestrator/images.js';
// Snapshots and resets (issue 20): `env.snapshot(name)`, `env.reset(name)`.
export type { SnapshotInOptions } from './library/running-stack.js';
export type { SnapshotInfo } from './runtime/snapshot-types.js';
export { SnapshotError } from './errors.js';
