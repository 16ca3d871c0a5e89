/**
 * The seccomp probe (seccomp-probe.c next to this file), compiled statically at test time so it
 * runs in any rootfs: `seccomp-probe keyctl bpf …` prints `keyctl=EPERM` etc.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCommand } from './requirements.js';

/** What compiling the probe needs. */
export const requireProbeCompiler = () => requireCommand('musl-gcc');

/** The probe's C source. */
export const SECCOMP_PROBE_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'testing', 'seccomp-probe.c');

/** Compiles the probe to `file` (static, musl). */
export function buildSeccompProbe(file: string): string {
  execFileSync('musl-gcc', ['-static', '-O2', '-o', file, SECCOMP_PROBE_SOURCE], { stdio: 'pipe' });
  return file;
}

/** The probe's output as a map: `{ keyctl: 'EPERM', … }`. */
export function parseProbe(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w-]+)=(\S+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
