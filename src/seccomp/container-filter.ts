/**
 * The seccomp filter a container's command runs under, from its security options and final
 * capability set: hafen's default profile, a `seccomp=FILE.json` profile, or none (`privileged`,
 * `seccomp=unconfined`). Compiled once per (profile, capabilities, arch) and kept for the process.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { RuntimeError } from '../errors.js';
import { decodeProgram } from './bpf-program.js';
import { compileSeccomp, nativeSeccompArch, type SeccompArch } from './compile.js';
import { DEFAULT_SECCOMP_PROFILE } from './default-profile.js';
import { SeccompProfileError, parseDockerSeccompProfile } from './docker-profile.js';
import { runFilter } from './filter-interpreter.js';
import { SYSCALL_TABLES } from './syscall-tables.generated.js';
import type { SeccompProfile } from './profile.js';

/** Which profile the options name. */
export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'file'; file: string };

/** The last `seccomp=` of the options (Docker's `builtin` is the default profile); `privileged` means none. */
export function seccompChoice(securityOpt: readonly string[] | undefined, privileged = false): SeccompChoice {
  if (privileged) return { kind: 'unconfined' };
  let out: SeccompChoice = { kind: 'default' };
  for (const o of securityOpt ?? []) {
    const m = /^seccomp[=:](.+)$/.exec(o);
    if (!m) continue;
    out = m[1] === 'unconfined' ? { kind: 'unconfined' } : m[1] === 'builtin' ? { kind: 'default' } : { kind: 'file', file: m[1]! };
  }
  return out;
}

/** A profile file's content as hafen reads it; the error names the file. */
export function readSeccompProfileFile(file: string): { text: string; profile: SeccompProfile } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeccompProfileError(`cannot read seccomp profile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return { text, profile: parseDockerSeccompProfile(text) };
  } catch (err) {
    if (err instanceof SeccompProfileError) throw new SeccompProfileError(`seccomp profile ${file}: ${err.message}`);
    throw err;
  }
}

const cache = new Map<string, Buffer>();

/** The calls hafen's init needs that `profile` refuses on this machine's arch (none where hafen has no table). */
export function profileRefusesInit(profile: SeccompProfile): string[] {
  const arch = nativeSeccompArch();
  return arch ? refusedForInit(compileSeccomp(profile, { arch, caps: [], kernel: os.release() }), arch) : [];
}

/** What hafen's init in the container calls once it runs under the filter (it waits, passes signals on, reports). */
const INIT_SYSCALLS = ['rt_sigtimedwait', 'wait4', 'kill', 'sendmsg', 'exit_group'] as const;
const AUDIT_ARCH: Record<SeccompArch, number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };
const ALLOW = 0x7fff0000;

/** The calls of INIT_SYSCALLS that the filter does not allow. */
function refusedForInit(filter: Buffer, arch: SeccompArch): string[] {
  const program = decodeProgram(filter);
  const table: Readonly<Record<string, number>> = SYSCALL_TABLES[arch];
  return INIT_SYSCALLS.filter((name) => runFilter(program, { arch: AUDIT_ARCH[arch], nr: table[name]! }).value !== ALLOW);
}

/** The compiled filter for a container, or undefined when it runs unconfined. */
export function containerSeccompFilter(choice: SeccompChoice, capabilities: readonly string[]): Buffer | undefined {
  if (choice.kind === 'unconfined') return undefined;
  const arch = nativeSeccompArch();
  if (!arch) throw new RuntimeError('seccomp', `hafen has no syscall table for ${process.arch}; run with security_opt: [seccomp=unconfined]`);
  let profile = DEFAULT_SECCOMP_PROFILE;
  let id = 'default';
  if (choice.kind === 'file') {
    const read = (() => {
      try {
        return readSeccompProfileFile(choice.file);
      } catch (err) {
        throw new RuntimeError('seccomp', (err as Error).message, { cause: err });
      }
    })();
    profile = read.profile;
    id = createHash('sha256').update(read.text).digest('hex');
  }
  const caps = [...new Set(capabilities)].sort();
  const kernel = os.release();
  const key = [id, arch, kernel, ...caps].join('\0');
  let filter = cache.get(key);
  if (!filter) {
    filter = compileSeccomp(profile, { arch, caps, kernel });
    const refused = refusedForInit(filter, arch);
    if (refused.length > 0) {
      const name = choice.kind === 'file' ? `seccomp profile ${choice.file}` : 'the seccomp profile';
      throw new RuntimeError('seccomp', `${name} refuses ${refused.join(', ')}, which the container's init needs (as any PID 1 does); allow them`);
    }
    cache.set(key, filter);
  }
  return filter;
}
