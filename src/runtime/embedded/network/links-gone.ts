/**
 * Waiting for the kernel to take interfaces away by itself. A container's veth pair goes with its
 * network namespace: once its last process has exited the kernel deletes both ends (a moment
 * later, from a work queue). Waiting for that costs a few file checks; deleting them ourselves
 * costs a run of `ip` per container, which a supervisor stopping a hundred containers at once
 * pays in forks on its event loop (issue 16). Whatever is still there after the wait (a namespace
 * some other process holds) is deleted the old way.
 *
 * Every wait of the process is served by one timer that looks at all the names still waited for
 * every few milliseconds: a `down` waits here for each stopped container before removing it, so
 * the moment a veth is gone should be seen within a tick, not after a back-off that doubled past
 * it (issue 16: waits of 2, 4, 8 … 50 ms saw a veth gone at 35 ms only at 62 ms), and a hundred
 * waits cost one timer and one listing of the links a tick, not a hundred of each.
 */
import fs from 'node:fs';
import { linkExists } from './bridge.js';

/** Where the kernel lists the links of this process's network namespace (what linkExists looks at). */
const NET_DIR = '/sys/class/net';

/** How long the kernel is given, at most, to remove a dead namespace's veths. */
export const KERNEL_LINK_WAIT_MS = 1000;

/** How often the waited-for names are looked at. */
const LOOK_EVERY_MS = 4;
/** Up to this many names waited for, each is looked up alone; more, and the links are listed once. */
const LOOK_ALONE_UP_TO = 8;

interface Waiter {
  names: string[];
  deadline: number;
  resolve: (left: string[]) => void;
}

const waiters = new Set<Waiter>();
let timer: NodeJS.Timeout | undefined;

/** The links of this network namespace now, or undefined when they cannot be listed (each name is then looked up alone). */
function presentLinks(): Set<string> | undefined {
  try {
    return new Set(fs.readdirSync(NET_DIR));
  } catch {
    return undefined;
  }
}

/** One tick: each waiter whose names are all gone, or whose time is up, is told what is left. */
function look(): void {
  const now = performance.now();
  // One listing for every waiter when many names are waited for: a hundred containers' waits cost
  // one readdir a tick, not a hundred stats (a few names cost less looked up one by one).
  let waited = 0;
  for (const w of waiters) waited += w.names.length;
  const present = waited > LOOK_ALONE_UP_TO ? presentLinks() : undefined;
  const exists = present ? (name: string) => present.has(name) : linkExists;
  for (const w of waiters) {
    w.names = w.names.filter(exists);
    if (w.names.length > 0 && now < w.deadline) continue;
    waiters.delete(w);
    w.resolve(w.names);
  }
  if (waiters.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Resolves with those of `names` still present after at most `timeoutMs` (at once when none is). */
export function linksLeftAfter(names: readonly string[], timeoutMs: number = KERNEL_LINK_WAIT_MS): Promise<string[]> {
  const left = names.filter(linkExists);
  if (left.length === 0 || timeoutMs <= 0) return Promise.resolve(left);
  return new Promise((resolve) => {
    waiters.add({ names: left, deadline: performance.now() + timeoutMs, resolve });
    timer ??= setInterval(look, LOOK_EVERY_MS);
  });
}
