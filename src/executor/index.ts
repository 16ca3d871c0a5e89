/** The executor's public API: run a plan against a runtime, telling everything as events. (Not the in-memory test double.) */
export { executePlan, errorInfo, DEFAULT_CONCURRENCY, DEFAULT_WAIT_TIMEOUT, type ExecuteOptions, type ExecuteResult } from './execute.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export {
  fanOut,
  type ErrorInfo,
  type Event,
  type EventInput,
  type EventKind,
  type EventOf,
  type EventSink,
  type OpFields,
  type ServiceState,
  type SkipReason,
  type Subject,
} from './events.js';
export { containerSpec, networkRuntimeName, volumeRuntimeName, type ContainerIdentity } from './container-spec.js';
export { followLogs, type FollowLogsOptions } from './follow-logs.js';
export { displayName } from './names.js';
export { formatDuration } from '../format/duration.js';
export { defaultOperations, type OperationContext, type OperationFn, type Operations } from './operations/index.js';
export { defaultResolveEndpoint, publishedPortEndpoint, type Endpoint, type ResolveEndpoint } from './readiness/endpoint.js';
