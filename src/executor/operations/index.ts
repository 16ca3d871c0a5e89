/** The default operation of every kind: each translates a plan node into runtime calls. */
import { waitExit } from '../readiness/wait-exit.js';
import { waitReady } from '../readiness/wait-ready.js';
import { createContainer, removeContainer, startContainer, stopContainer } from './containers.js';
import type { Operations } from './context.js';
import { buildImage, importImage, pullImage, removeImage } from './images.js';
import { createNetwork, createVolume, removeNetwork, removeVolume } from './resources.js';

export type { OperationContext, OperationFn, Operations } from './context.js';

/** Operations against a `Runtime`, by kind. */
export const defaultOperations: Operations = {
  'create-network': createNetwork,
  'create-volume': createVolume,
  'build-image': buildImage,
  'pull-image': pullImage,
  'import-image': importImage,
  'create-container': createContainer,
  'start-container': startContainer,
  'wait-ready': waitReady,
  'wait-exit': waitExit,
  'stop-container': stopContainer,
  'remove-container': removeContainer,
  'remove-network': removeNetwork,
  'remove-volume': removeVolume,
  'remove-image': removeImage,
};
