/** The Dockerfile front end of the embedded builder: parsing, substitution and stage resolution, .dockerignore, COPY sources. */
export { parseDockerfile, type ParseOptions } from './dockerfile-parse.js';
export { DockerfileError } from './dockerfile-error.js';
export type * from './instructions.js';
export { processWord, processWords, substitute, SubstitutionError, type Env, type LexOptions } from './substitute.js';
export { planStages, type BuildOptions, type StageGraph, type StageNode } from './stage-graph.js';
export { resolveStages, DEFAULT_PATH, DEFAULT_SHELL, type ResolveOptions } from './resolve-stages.js';
export type * from './stage-model.js';
export type { SecretMount, SshMount } from './run-mounts.js';
export { hostPlatform, formatPlatform, type Platform } from './build-args.js';
export { loadDockerignore, parseDockerignore, createIgnoreMatcher, type IgnoreMatcher } from './dockerignore.js';
export { expandCopySources, type CopyOperation, type CopyRequest, type ExpandOptions, type SourceEntry } from './copy-sources.js';
