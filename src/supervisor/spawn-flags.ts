/**
 * How the supervisor process is run. It is a long-lived process per project that mostly waits, so
 * its Node flags trade a little throughput for memory (measured with `npm run bench:supervisor`;
 * the README's Benchmarks table has the figures).
 */

/** The environment variable naming the descriptor on which a new supervisor says it listens. */
export const READY_FD_ENV = 'HAFEN_SUPERVISOR_READY_FD';

/**
 * Node flags of the supervisor (HAFEN_SUPERVISOR_NODE_FLAGS replaces them, to measure others).
 * A young generation of 1 MiB semi-spaces instead of up to 16: the supervisor's work comes in small
 * requests, and the default lets each `up` grow its heap by tens of MiB it then keeps. No V8 worker
 * threads: GC and compiles on the main thread, which is mostly idle (saves their stacks and arenas).
 * No optimizing or baseline compiler (--no-opt, --no-sparkplug), with V8's smaller-code settings
 * (--optimize-for-size, --max-lazy, --lazy-feedback-allocation): its JavaScript is glue between
 * system calls, and the compiled code and its feedback were a fifth of its own memory (issue 16,
 * `RUNS=2 npm run bench:supervisor`, 50 containers: VmRSS 62.4 → 53.9 MiB, its own 20.2 → 16.3 MiB;
 * CPU for its start and 50 starts not higher; a port relay's throughput the same, the bytes move in
 * libuv). Not `--jitless` or `--lite-mode`: both take WebAssembly away, and Node's fetch needs it.
 * No cap on the old space (a crash is worse).
 */
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--v8-pool-size=0',
  '--optimize-for-size',
  '--no-opt',
  '--max-lazy',
  '--lazy-feedback-allocation',
  '--no-sparkplug',
];
