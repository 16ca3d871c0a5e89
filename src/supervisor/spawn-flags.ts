/**
 * How the supervisor process is run. It is a long-lived process per project that mostly waits, so
 * its Node flags trade a little throughput for memory (measured with `npm run bench:supervisor`;
 * the README's Benchmarks table has the figures).
 */

/** The environment variable naming the descriptor on which a new supervisor says it listens. */
export const READY_FD_ENV = 'HAFEN_SUPERVISOR_READY_FD';

/** Node flags of the supervisor (HAFEN_SUPERVISOR_NODE_FLAGS replaces them, to measure others). */
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [];
