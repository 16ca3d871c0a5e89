/**
 * A seccomp profile as hafen compiles it: Docker's profile model (default action, rules of syscall
 * names with an action, argument conditions and the capabilities/arches/kernel they apply to), in
 * typed form. Both hafen's default profile and a `security_opt: seccomp=FILE.json` end up here.
 */

/** What the kernel does with a syscall (SECCOMP_RET_*). */
export type SeccompAction =
  | { kind: 'allow' }
  | { kind: 'errno'; errno: number }
  | { kind: 'kill-process' }
  | { kind: 'kill-thread' }
  | { kind: 'trap' }
  | { kind: 'trace'; data: number }
  | { kind: 'log' };

/** An unsigned 64-bit comparison of one syscall argument (libseccomp's SCMP_CMP_*). */
export type ArgOp = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

/** `args[index] OP value`; for MASKED_EQ `(args[index] & value) == valueTwo`. */
export interface ArgCondition {
  index: number;
  op: ArgOp;
  value: bigint;
  valueTwo: bigint;
}

/** The architectures a rule may name (Docker's Go names: amd64, x86, x32, arm64, arm, …). */
export type RuleArch = string;

/** When a rule applies: every listed capability held, the native arch listed, the kernel at least minKernel. */
export interface RuleFilter {
  caps?: readonly string[];
  arches?: readonly RuleArch[];
  /** `major.minor`, as Docker writes it. */
  minKernel?: string;
}

/** One rule: these syscalls get this action when every argument condition holds. */
export interface SeccompRule {
  names: readonly string[];
  action: SeccompAction;
  args: readonly ArgCondition[];
  /** Applies only when all of this holds (Docker's `includes`). */
  includes?: RuleFilter;
  /** Skipped when any of this holds (Docker's `excludes`). */
  excludes?: RuleFilter;
}

/** The whole profile. */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  /**
   * Which arches get a filter section besides the native one, by libseccomp name
   * (SCMP_ARCH_X86, SCMP_ARCH_X32, …); an arch with no section gets `EPERM`.
   */
  architectures: readonly string[];
  rules: readonly SeccompRule[];
}

/** The errno numbers the profiles use. */
export const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;

/** Shorthands for writing profiles as data. */
export const allow: SeccompAction = { kind: 'allow' };
export const errno = (n: number): SeccompAction => ({ kind: 'errno', errno: n });
