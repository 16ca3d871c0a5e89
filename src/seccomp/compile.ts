/**
 * Compiles a seccomp profile, for one container's capability set on one architecture, into a
 * classic BPF program (struct sock_filter[]) that hafen-run installs before exec.
 *
 * Layout: check seccomp_data.arch (native, plus the compat arches the profile lists, as libseccomp
 * adds them: i386 on x86_64 for SCMP_ARCH_X86, 32-bit arm on aarch64 for SCMP_ARCH_ARM; any other
 * arch gets EPERM; on x86_64 the x32 ABI, nr >= 0x40000000, is searched in x32's own table when
 * the profile lists SCMP_ARCH_X32, else EPERM), then a binary search over the syscall numbers, grouped in runs with one outcome, so a call
 * costs about ten compares; a syscall with argument conditions ends in their checks, each a 64-bit
 * compare made of two 32-bit halves. A number above the newest syscall of the table gets ENOSYS.
 */
import { RuntimeError } from '../errors.js';
import { BPF, BackwardProgram, MAX_INSNS, encodeProgram, type Label } from './bpf-program.js';
import type { ArgCondition, RuleFilter, SeccompAction, SeccompProfile, SeccompRule } from './profile.js';
import { SYSCALL_TABLES } from './syscall-tables.generated.js';

/** The architectures hafen compiles for, by kernel name. */
export type SeccompArch = 'x86_64' | 'aarch64';

/** What a filter is compiled for: the native arch, the container's final capabilities, the kernel. */
export interface SeccompTarget {
  arch: SeccompArch;
  /** Capability names (CAP_SYS_ADMIN …): a rule's `includes.caps` / `excludes.caps` look here. */
  caps: readonly string[];
  /** `major.minor[.patch…]` of the running kernel, for `minKernel`. */
  kernel: string;
}

/** AUDIT_ARCH_* values (linux/audit.h). */
const AUDIT_ARCH = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 } as const;
/** Docker's (Go's) name of each native arch, as rules' `arches` write them. */
const GO_ARCH: Record<SeccompArch, string> = { x86_64: 'amd64', aarch64: 'arm64' };
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const ENOSYS = 38;
/** seccomp_data: nr at 0, arch at 4, instruction_pointer at 8, args[6] (u64) from 16. */
const OFFSET = { nr: 0, arch: 4, args: 16 } as const;

/** The SECCOMP_RET_* value of an action. */
export function actionValue(action: SeccompAction): number {
  switch (action.kind) {
    case 'allow':
      return 0x7fff0000;
    case 'errno':
      return (0x00050000 | (action.errno & 0xffff)) >>> 0;
    case 'kill-process':
      return 0x80000000;
    case 'kill-thread':
      return 0;
    case 'trap':
      return 0x00030000;
    case 'trace':
      return (0x7ff00000 | (action.data & 0xffff)) >>> 0;
    case 'log':
      return 0x7ffc0000;
    default: {
      const never: never = action;
      throw new Error(`unknown seccomp action ${JSON.stringify(never)}`);
    }
  }
}

/** `a.b` >= `c.d`, numerically. */
function kernelAtLeast(kernel: string, min: string): boolean {
  const [a = 0, b = 0] = kernel.split(/[.-]/).map((p) => parseInt(p, 10) || 0);
  const [c = 0, d = 0] = min.split('.').map((p) => parseInt(p, 10) || 0);
  return a !== c ? a > c : b >= d;
}

/** Whether a rule applies to this target, by Docker's reading of includes/excludes. */
export function ruleApplies(rule: SeccompRule, target: SeccompTarget): boolean {
  const native = GO_ARCH[target.arch];
  const has = (f: RuleFilter | undefined, test: (f: RuleFilter) => boolean) => f !== undefined && test(f);
  const ex = rule.excludes;
  if (has(ex, (f) => (f.arches ?? []).includes(native))) return false;
  if (has(ex, (f) => (f.caps ?? []).some((c) => target.caps.includes(c)))) return false;
  if (has(ex, (f) => f.minKernel !== undefined && kernelAtLeast(target.kernel, f.minKernel))) return false;
  const inc = rule.includes;
  if (has(inc, (f) => f.arches !== undefined && f.arches.length > 0 && !f.arches.includes(native))) return false;
  if (has(inc, (f) => (f.caps ?? []).some((c) => !target.caps.includes(c)))) return false;
  if (has(inc, (f) => f.minKernel !== undefined && !kernelAtLeast(target.kernel, f.minKernel))) return false;
  return true;
}

/** What one syscall number does: argument-checked rules in order, then a fallback action. */
interface Outcome {
  conditional: { action: SeccompAction; args: readonly ArgCondition[] }[];
  fallback: SeccompAction;
}

/**
 * A section of the filter: one arch's syscall table and whether its args are 64-bit. On x86_64,
 * `x32` holds what numbers with the x32 bit meet: x32's table (its args 32-bit, as libseccomp
 * sizes them), or undefined for EPERM when the profile does not list SCMP_ARCH_X32.
 */
interface Section {
  audit: number;
  table: Readonly<Record<string, number>>;
  wide: boolean;
  x32?: { table: Readonly<Record<string, number>> | undefined };
}

function sectionsFor(profile: SeccompProfile, arch: SeccompArch): Section[] {
  const lists = (name: string): boolean => profile.architectures.includes(name);
  if (arch === 'aarch64') {
    const out: Section[] = [{ audit: AUDIT_ARCH.aarch64, table: SYSCALL_TABLES.aarch64, wide: true }];
    if (lists('SCMP_ARCH_ARM')) out.push({ audit: AUDIT_ARCH.arm, table: SYSCALL_TABLES.arm, wide: false });
    return out;
  }
  const out: Section[] = [{ audit: AUDIT_ARCH.x86_64, table: SYSCALL_TABLES.x86_64, wide: true, x32: { table: lists('SCMP_ARCH_X32') ? SYSCALL_TABLES.x32 : undefined } }];
  if (lists('SCMP_ARCH_X86')) out.push({ audit: AUDIT_ARCH.i386, table: SYSCALL_TABLES.i386, wide: false });
  return out;
}

/** Each syscall number's outcome in one section. */
function outcomes(rules: readonly SeccompRule[], table: Readonly<Record<string, number>>, defaultAction: SeccompAction): Map<number, Outcome> {
  const byNr = new Map<number, { conditional: Outcome['conditional']; unconditional?: SeccompAction }>();
  for (const rule of rules) {
    for (const name of rule.names) {
      const nr = table[name];
      if (nr === undefined) continue; // not a syscall of this arch: skipped, as libseccomp does
      const entry = byNr.get(nr) ?? { conditional: [] };
      byNr.set(nr, entry);
      if (rule.args.length > 0) entry.conditional.push({ action: rule.action, args: rule.args });
      else entry.unconditional ??= rule.action;
    }
  }
  const out = new Map<number, Outcome>();
  for (const [nr, e] of byNr) out.set(nr, { conditional: e.conditional, fallback: e.unconditional ?? defaultAction });
  return out;
}

/** A run of syscall numbers [start, next run's start) with one outcome. */
interface Run {
  start: number;
  outcome: Outcome;
  key: string;
}

const outcomeKey = (o: Outcome) => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** Numbers 0..limit-1 as runs; a number no rule names gets the default action. */
function runs(byNr: Map<number, Outcome>, defaultAction: SeccompAction, limit: number): Run[] {
  const fallback: Outcome = { conditional: [], fallback: defaultAction };
  const out: Run[] = [];
  const add = (start: number, outcome: Outcome) => {
    const key = outcomeKey(outcome);
    if (out.length === 0 || out[out.length - 1]!.key !== key) out.push({ start, outcome, key });
  };
  add(0, fallback);
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    if (nr >= limit) continue;
    add(nr, byNr.get(nr)!);
    if (nr + 1 < limit && !byNr.has(nr + 1)) add(nr + 1, fallback);
  }
  return out;
}

/** Emits the check of one argument condition; returns its first instruction. */
function emitCondition(p: BackwardProgram, c: ArgCondition, ok: Label, fail: Label, wide: boolean): Label {
  const lo = OFFSET.args + 8 * c.index;
  const hi = lo + 4;
  const vlo = Number(c.value & 0xffffffffn);
  const vhi = Number((c.value >> 32n) & 0xffffffffn);
  const dlo = Number(c.valueTwo & 0xffffffffn);
  const dhi = Number((c.valueTwo >> 32n) & 0xffffffffn);
  // Emitted back to front: the low half's test first (it runs last), then the high half's, which
  // decides alone unless the halves are equal. On 32-bit arches the low half is the whole argument.
  switch (c.op) {
    case 'EQ':
      p.jump(BPF.JMP_JEQ_K, vlo, ok, fail);
      break;
    case 'NE':
      p.jump(BPF.JMP_JEQ_K, vlo, fail, ok);
      break;
    case 'GT':
      p.jump(BPF.JMP_JGT_K, vlo, ok, fail);
      break;
    case 'GE':
      p.jump(BPF.JMP_JGE_K, vlo, ok, fail);
      break;
    case 'LT':
      p.jump(BPF.JMP_JGE_K, vlo, fail, ok);
      break;
    case 'LE':
      p.jump(BPF.JMP_JGT_K, vlo, fail, ok);
      break;
    case 'MASKED_EQ':
      p.jump(BPF.JMP_JEQ_K, dlo, ok, fail);
      p.op(BPF.ALU_AND_K, vlo);
      break;
  }
  const lowStart = p.op(BPF.LD_W_ABS, lo);
  if (!wide) return lowStart;
  switch (c.op) {
    case 'EQ':
      p.jump(BPF.JMP_JEQ_K, vhi, lowStart, fail);
      break;
    case 'NE':
      p.jump(BPF.JMP_JEQ_K, vhi, lowStart, ok);
      break;
    case 'GT':
    case 'GE': {
      const equal = p.jump(BPF.JMP_JEQ_K, vhi, lowStart, fail);
      p.jump(BPF.JMP_JGT_K, vhi, ok, equal);
      break;
    }
    case 'LT':
    case 'LE': {
      const equal = p.jump(BPF.JMP_JEQ_K, vhi, lowStart, ok);
      p.jump(BPF.JMP_JGT_K, vhi, fail, equal);
      break;
    }
    case 'MASKED_EQ':
      p.jump(BPF.JMP_JEQ_K, dhi, lowStart, fail);
      p.op(BPF.ALU_AND_K, vhi);
      break;
  }
  return p.op(BPF.LD_W_ABS, hi);
}

/** The code for one syscall outcome; returns its first instruction. */
function emitOutcome(p: BackwardProgram, o: Outcome, wide: boolean): Label {
  let next = p.ret(actionValue(o.fallback));
  for (const rule of [...o.conditional].reverse()) {
    const fail = next;
    let start = p.ret(actionValue(rule.action));
    for (const c of [...rule.args].reverse()) start = emitCondition(p, c, start, fail, wide);
    next = start;
  }
  return next;
}

/** The binary search over runs[lo..hi] (A holds the syscall number); returns its first instruction. */
function emitSearch(p: BackwardProgram, list: readonly Run[], lo: number, hi: number, wide: boolean): Label {
  if (lo === hi) return emitOutcome(p, list[lo]!.outcome, wide);
  const mid = (lo + hi + 1) >> 1;
  const upper = emitSearch(p, list, mid, hi, wide);
  const lower = emitSearch(p, list, lo, mid - 1, wide);
  return p.jump(BPF.JMP_JGE_K, list[mid]!.start, upper, lower);
}

/** One arch's section: load nr, send the x32 ABI's numbers to their own search (or EPERM), search. */
function emitSection(p: BackwardProgram, profile: SeccompProfile, rules: readonly SeccompRule[], section: Section): Label {
  const x32 = section.x32;
  let x32Start: Label | undefined;
  if (x32) x32Start = x32.table ? emitSearchOf(p, profile, rules, x32.table, 2 ** 32, false) : p.ret(actionValue({ kind: 'errno', errno: EPERM }));
  let start = emitSearchOf(p, profile, rules, section.table, x32 ? X32_SYSCALL_BIT : 2 ** 32, section.wide);
  if (x32Start !== undefined) start = p.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, x32Start, start);
  return p.op(BPF.LD_W_ABS, OFFSET.nr);
}

/** The search over one syscall table's numbers below `limit` (A holds the number); returns its first instruction. */
function emitSearchOf(p: BackwardProgram, profile: SeccompProfile, rules: readonly SeccompRule[], table: Readonly<Record<string, number>>, limit: number, wide: boolean): Label {
  const list = runs(outcomes(rules, table, profile.defaultAction), profile.defaultAction, limit);
  // A syscall newer than the table gets ENOSYS rather than a refusal, so libc falls back to an older
  // call as it does on an older kernel (runc does the same for calls libseccomp does not know).
  const newest = Math.max(...Object.values(table));
  const refuses = profile.defaultAction.kind !== 'allow' && profile.defaultAction.kind !== 'log';
  if (refuses && newest + 1 < limit) {
    if (list[list.length - 1]!.start === newest + 1) list.pop(); // the default run after the newest call
    list.push({ start: newest + 1, outcome: { conditional: [], fallback: { kind: 'errno', errno: ENOSYS } }, key: 'enosys' });
  }
  return emitSearch(p, list, 0, list.length - 1, wide);
}

/** The filter's bytes (struct sock_filter[]) for this profile and target. */
export function compileSeccomp(profile: SeccompProfile, target: SeccompTarget): Buffer {
  const rules = profile.rules.filter((r) => ruleApplies(r, target));
  const p = new BackwardProgram();
  const starts = sectionsFor(profile, target.arch)
    .reverse()
    .map((s) => ({ audit: s.audit, start: emitSection(p, profile, rules, s) }))
    .reverse();
  let next = p.ret(actionValue({ kind: 'errno', errno: EPERM })); // an arch without a section
  for (const s of [...starts].reverse()) next = p.jump(BPF.JMP_JEQ_K, s.audit, s.start, next);
  p.op(BPF.LD_W_ABS, OFFSET.arch);
  if (p.length > MAX_INSNS) throw new RuntimeError('seccomp', `the filter has ${p.length} instructions, more than the kernel's ${MAX_INSNS}`);
  return encodeProgram(p.instructions());
}

/** The native arch of this process, or undefined where hafen has no syscall table. */
export function nativeSeccompArch(arch: string = process.arch): SeccompArch | undefined {
  return arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : undefined;
}
