/**
 * Environment values the kernel would refuse at the container's execve (E2BIG), refused by `up`
 * before anything is touched instead, naming the variable and the limit, never the value. The
 * limits are Linux's (fs/exec.c): one string, `NAME=VALUE` and its NUL byte, is at most
 * MAX_ARG_STRLEN (32 pages, 128 KiB); all of argv and envp (strings and pointers) at most a quarter
 * of the stack rlimit, capped at 6 MiB (3/4 of _STK_LIM / 4) and never less than 128 KiB (ARG_MAX).
 * dockerd takes such a container and fails it at start (runc: "argument list too long"); hafen's
 * embedded runtime would fail the same way, so both refuse it up front.
 */
import fs from 'node:fs';
import type { RuntimeName, Service } from '../config/model.js';
import type { SupportRule } from './runtime-support.js';

/** MAX_ARG_STRLEN on 4 KiB pages: one environment entry with its NUL byte. */
export const MAX_ARG_STRLEN = 32 * 4096;
/** ARG_MAX: the kernel's floor for argv plus envp, whatever the stack rlimit. */
const ARG_MAX_FLOOR = 32 * 4096;
/** 3/4 of _STK_LIM (8 MiB) / 4: the ceiling for argv plus envp, whatever the stack rlimit. */
const ARGS_CEILING = 6 * 1024 * 1024;
/** Linux's default stack rlimit (what dockerd and most shells run with). */
const DEFAULT_STACK = 8 * 1024 * 1024;
const POINTER = 8;

/**
 * The soft stack rlimit of this process, which the embedded runtime's containers inherit. Read
 * once: the one piece of the host the rules need (the planner is otherwise free of I/O).
 */
let ownStack: number | undefined;
function processStackLimit(): number {
  if (ownStack !== undefined) return ownStack;
  try {
    const line = /^Max stack size\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    ownStack = !line || line[1] === 'unlimited' ? Infinity : Number(line[1]);
  } catch {
    ownStack = DEFAULT_STACK;
  }
  return ownStack;
}

/** What argv plus envp may hold for a process started with `stack` bytes of stack rlimit. */
export function argumentSpace(stack: number): number {
  return Math.max(Math.min(stack / 4, ARGS_CEILING), ARG_MAX_FLOOR);
}

const KIB = (n: number): string => `${Math.floor(n / 1024)} KiB`;

/** Why the service's environment cannot be given to a process, naming the variable and the limit; undefined when it fits. */
export function environmentTooLarge(service: Service, stack: number): string | undefined {
  const entries = Object.entries(service.environment);
  let total = 0;
  for (const [name, value] of entries) {
    const size = Buffer.byteLength(`${name}=${value}`) + 1;
    if (size > MAX_ARG_STRLEN) {
      return `the variable ${name} is ${size} bytes with its name, more than the ${MAX_ARG_STRLEN} (${KIB(MAX_ARG_STRLEN)}) Linux takes for one environment entry (MAX_ARG_STRLEN)`;
    }
    total += size + POINTER;
  }
  const command = [...(service.entrypoint ?? []), ...(service.command ?? [])];
  for (const arg of command) total += Buffer.byteLength(arg) + 1 + POINTER;
  const space = argumentSpace(stack);
  if (total > space) {
    return `the environment (${entries.length} variables) and command take ${total} bytes, more than the ${space} (${KIB(space)}) Linux gives a process's arguments and environment with a stack limit of ${Number.isFinite(stack) ? KIB(stack) : 'unlimited'}`;
  }
  return undefined;
}

/** The stack rlimit the service's processes run with on `runtime`. */
function stackOf(service: Service, runtime: RuntimeName): number {
  const soft = service.ulimits?.stack?.soft;
  if (soft !== undefined) return soft < 0 ? Infinity : soft;
  return runtime === 'embedded' ? processStackLimit() : DEFAULT_STACK;
}

const rule = (runtime: RuntimeName): SupportRule => ({
  runtime,
  key: 'environment',
  refuse: (service) => environmentTooLarge(service, stackOf(service, runtime)),
  todo: 'pass large data as a file instead (a volume, configs: or secrets:)',
});

/** Both runtimes: the kernel's limits apply to every container's first process alike. */
export const ENVIRONMENT_RULES: readonly SupportRule[] = [rule('embedded'), rule('docker')];
