/**
 * A project's container events on disk (`events.jsonl` in its state folder, one JSON event a line).
 * The embedded runtime has no daemon that lives as long as the project: its supervisor exits when
 * nothing runs, and with none running the CLI acts through its own runtime. Every instance appends
 * the events it makes here, so `stack events` (live or `--since`) sees them all whoever made them,
 * and a new supervisor starts with the backlog the last one had. Kept to about the last BACKLOG
 * events (as dockerd keeps its last 1024); removed with the project's state by `down`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sinceMillis } from '../event-hub.js';
import type { ContainerEvent } from '../runtime.js';
import { projectDir } from './state/project-paths.js';

/** Events kept after a trim (dockerd keeps 1024). */
export const BACKLOG = 1024;
/** The file is trimmed once it grows past this, to its last BACKLOG events and at most half of it (so trims stay rare). */
const TRIM_AT_BYTES = 2 << 20;
/** How often a follower looks for new lines. */
const TAIL_EVERY_MS = 50;

/** The event log of `project`. */
export function eventLogFile(root: string, project: string): string {
  return path.join(projectDir(root, project), 'events.jsonl');
}

/** Appends `event`; a project whose state folder is gone (removed by `down`) keeps nothing. */
export function appendEvent(root: string, project: string, event: ContainerEvent): void {
  const file = eventLogFile(root, project);
  try {
    // A missing folder (removed by `down`) fails the append with ENOENT: nothing is made.
    fs.appendFileSync(file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    if (fs.statSync(file).size > TRIM_AT_BYTES) trim(file);
  } catch {
    // Events are a record for followers; a full disk must not fail the container operation.
  }
}

/** Rewrites the file with its last BACKLOG lines (a new file renamed over: a follower's open one stays whole). */
function trim(file: string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const kept: string[] = [];
  for (let i = lines.length - 1, bytes = 0; i >= 0 && kept.length < BACKLOG; i--) {
    bytes += Buffer.byteLength(lines[i]!) + 1;
    if (bytes > TRIM_AT_BYTES / 2) break;
    kept.push(lines[i]!);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${kept.reverse().join('\n')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The last BACKLOG events of the project's log, oldest first. */
export function readEventBacklog(root: string, project: string): ContainerEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(eventLogFile(root, project), 'utf8');
  } catch {
    return [];
  }
  return parseLines(text.split('\n').slice(-BACKLOG - 1));
}

function parseLines(lines: string[]): ContainerEvent[] {
  const out: ContainerEvent[] = [];
  for (const line of lines) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as ContainerEvent);
    } catch {
      // A line cut short (a write interrupted by a crash) is skipped.
    }
  }
  return out;
}

/** Options of tailEventLog. */
export interface TailOptions {
  /** First event time to give (ISO or epoch ms); default now. */
  since?: string | number;
  signal: AbortSignal;
  pollMs?: number;
}

/**
 * The project's events from `since` on, as they are appended, until the signal aborts. The file is
 * read through an open descriptor, so lines written just before `down` removed it are still read;
 * when it is replaced (trimmed, or made again after a `down`), the new one is read from its start,
 * skipping what was given already.
 */
export async function* tailEventLog(root: string, project: string, opts: TailOptions): AsyncIterable<ContainerEvent> {
  const file = eventLogFile(root, project);
  let from = sinceMillis(opts.since);
  /** Lines given at time `from` exactly: a replaced file repeats them. */
  let givenAtFrom = new Set<string>();
  let fd: number | undefined;
  let ino = 0;
  let position = 0;
  let rest = '';
  const buffer = Buffer.alloc(64 * 1024);
  try {
    while (!opts.signal.aborted) {
      if (fd === undefined) {
        try {
          fd = fs.openSync(file, 'r');
          ino = fs.fstatSync(fd).ino;
          position = 0;
          rest = '';
        } catch {
          fd = undefined;
        }
      }
      if (fd !== undefined) {
        for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, position)) > 0; ) {
          position += n;
          rest += buffer.toString('utf8', 0, n);
        }
        const nl = rest.lastIndexOf('\n');
        if (nl >= 0) {
          const lines = rest.slice(0, nl).split('\n');
          rest = rest.slice(nl + 1);
          for (const line of lines) {
            const [event] = parseLines([line]);
            if (!event) continue;
            const at = Date.parse(event.time);
            if (at < from || (at === from && givenAtFrom.has(line))) continue;
            if (at > from) (from = at), (givenAtFrom = new Set());
            givenAtFrom.add(line);
            yield event;
          }
        }
        // Replaced or removed: what the open one had is read; the next one (if any) from its start.
        let now: number | undefined;
        try {
          now = fs.statSync(file).ino;
        } catch {
          now = undefined;
        }
        if (now !== ino) {
          fs.closeSync(fd);
          fd = undefined;
          if (now !== undefined) continue;
        }
      }
      await sleep(opts.pollMs ?? TAIL_EVERY_MS, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
