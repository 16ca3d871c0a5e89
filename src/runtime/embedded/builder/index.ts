/** The embedded image builder: Dockerfile steps executed on the layered store, with a build cache, and the `host` base image. */
export { build, type BuildOptions, type BuildResult, type BuilderEvent } from './builder.js';
export { BuildError, type StepPlace } from './build-error.js';
export {
  HOST_BASE_LABEL,
  HOST_BASE_VALUE,
  HOST_IMAGE_NAME,
  ensureHostImage,
  hostBaseLayer,
  hostBindPaths,
  hostDirectories,
  hostFingerprint,
  isHostBased,
  type HostPath,
} from './host-image.js';
export { resolveImage, type ImageResolver, type ResolvedImage } from './base-images.js';
export { OUTPUT_TAIL_LINES, OutputTail, type RunRequest, type RunResult, type RunSandbox } from './run-sandbox.js';
export { LayeredView } from './layered-view.js';
export { LauncherSandbox } from './launcher-sandbox.js';
