/** Small readers and writers of cgroupfs files, tolerant where the kernel may lack a file. */
import fs from 'node:fs';
import path from 'node:path';

/** The trimmed text of `dir/file`, or undefined when it does not exist (or cannot be read). */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A file holding one number; `max` (v2) and absent files give undefined. */
export function readCgroupNumber(dir: string, file: string): number | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined || text === 'max' || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** One value of a flat keyed file (`key value` lines: memory.events, cpu.stat, memory.oom_control). */
export function readCgroupKey(dir: string, file: string, key: string): number | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k === key && v !== undefined) return Number(v);
  }
  return undefined;
}

/** The pids listed in `dir/cgroup.procs`; empty when the directory is gone. */
export function readCgroupProcs(dir: string): number[] {
  const text = readCgroupFile(dir, 'cgroup.procs');
  if (!text) return [];
  return text.split('\n').filter(Boolean).map(Number);
}

/** Writes `value` to an existing cgroup file (never creates one: cgroupfs files are made by the kernel). */
export function writeCgroupFile(dir: string, file: string, value: string): void {
  const fd = fs.openSync(path.join(dir, file), fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `dir/file` exists (a controller's files appear only where it is enabled). */
export function hasCgroupFile(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}
