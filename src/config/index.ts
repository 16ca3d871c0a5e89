/** config/: a stack file in, a validated and normalized Stack out. Nothing here touches the system. */
export { loadStack, type LoadOptions } from './load-stack.js';
export { findStackFile, STACK_FILE_NAMES } from './find-file.js';
export { serializeStack } from './serialize.js';
export { MAX_FILE_BYTES } from './read-file.js';
export type * from './model.js';
export { DEFAULT_NETWORK } from './model.js';
