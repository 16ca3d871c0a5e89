/**
 * Reads a seccomp profile in Docker's format (what `docker run --security-opt seccomp=FILE.json`
 * takes): defaultAction, defaultErrnoRet, architectures or archMap, syscalls[] with
 * names/action/errnoRet/args/includes/excludes. What hafen cannot honour (notify actions,
 * listener sockets, filter flags) and any unknown key is refused, never ignored.
 */
import { parseJsonBigInt } from './json-bigint.js';
import { ERRNO, type ArgCondition, type ArgOp, type RuleFilter, type SeccompAction, type SeccompProfile, type SeccompRule } from './profile.js';

/** A profile that cannot be used; the message says where in it and why (the caller adds the file). */
export class SeccompProfileError extends Error {}

/** libseccomp architecture names Docker profiles use. */
const ARCHES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
]);

const OPS: Record<string, ArgOp> = {
  SCMP_CMP_NE: 'NE', SCMP_CMP_LT: 'LT', SCMP_CMP_LE: 'LE', SCMP_CMP_EQ: 'EQ', SCMP_CMP_GE: 'GE', SCMP_CMP_GT: 'GT', SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

type Json = unknown;
const fail = (at: string, message: string): never => {
  throw new SeccompProfileError(at ? `${at}: ${message}` : message);
};
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: Json, at: string, keys: readonly string[]): Record<string, Json> {
  if (!isObject(v)) fail(at, 'expected an object');
  const o = v as Record<string, Json>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(at, `unknown key "${k}" (hafen reads ${keys.join(', ')})`);
  return o;
}

function strings(v: Json, at: string): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return fail(at, 'expected a list of strings');
  return v as string[];
}

function integer(v: Json, at: string, min: bigint, max: bigint): bigint {
  const n = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
  if (n === undefined || n < min || n > max) return fail(at, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
  return n;
}

/** An action name with its errno (or trace message) number. */
function action(name: Json, errnoRet: Json, fallbackErrno: number, at: string): SeccompAction {
  const ret = errnoRet === undefined || errnoRet === null ? fallbackErrno : Number(integer(errnoRet, `${at}.errnoRet`, 0n, 4095n));
  switch (name) {
    case 'SCMP_ACT_ALLOW':
      return { kind: 'allow' };
    case 'SCMP_ACT_ERRNO':
      return { kind: 'errno', errno: ret };
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return { kind: 'kill-thread' };
    case 'SCMP_ACT_KILL_PROCESS':
      return { kind: 'kill-process' };
    case 'SCMP_ACT_TRAP':
      return { kind: 'trap' };
    case 'SCMP_ACT_TRACE':
      return { kind: 'trace', data: ret };
    case 'SCMP_ACT_LOG':
      return { kind: 'log' };
    case 'SCMP_ACT_NOTIFY':
      return fail(at, 'SCMP_ACT_NOTIFY is not supported by hafen (it needs a seccomp agent listening on a socket)');
    default:
      return fail(at, `unknown action ${JSON.stringify(name)} (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG)`);
  }
}

function filter(v: Json, at: string): RuleFilter | undefined {
  if (v === undefined || v === null) return undefined;
  const o = object(v, at, ['caps', 'arches', 'minKernel']);
  const out: RuleFilter = { caps: strings(o.caps, `${at}.caps`), arches: strings(o.arches, `${at}.arches`) };
  if (o.minKernel !== undefined && o.minKernel !== null) {
    if (typeof o.minKernel !== 'string' || !/^\d+\.\d+$/.test(o.minKernel)) fail(`${at}.minKernel`, `expected "MAJOR.MINOR", got ${JSON.stringify(o.minKernel)}`);
    out.minKernel = o.minKernel as string;
  }
  return out;
}

function condition(v: Json, at: string): ArgCondition {
  const o = object(v, at, ['index', 'value', 'valueTwo', 'op']);
  const op = typeof o.op === 'string' ? OPS[o.op] : undefined;
  if (!op) fail(`${at}.op`, `unknown comparison ${JSON.stringify(o.op)} (${Object.keys(OPS).join(', ')})`);
  const u64 = (2n ** 64n) - 1n;
  return {
    index: Number(integer(o.index, `${at}.index`, 0n, 5n)),
    op: op!,
    value: integer(o.value ?? 0, `${at}.value`, 0n, u64),
    valueTwo: integer(o.valueTwo ?? 0, `${at}.valueTwo`, 0n, u64),
  };
}

/** One syscalls[] entry; an ERRNO rule without errnoRet says EPERM, as runc reads it. */
function rule(v: Json, at: string): SeccompRule {
  const o = object(v, at, ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
  if (o.name !== undefined && o.names !== undefined) fail(at, 'both "name" and "names" are given; use one');
  const names = typeof o.name === 'string' ? [o.name] : strings(o.names, `${at}.names`);
  if (names.length === 0) fail(at, 'no syscall names');
  if (o.args !== undefined && o.args !== null && !Array.isArray(o.args)) fail(`${at}.args`, 'expected a list');
  const args = ((o.args as Json[] | null | undefined) ?? []).map((a, i) => condition(a, `${at}.args[${i}]`));
  const out: SeccompRule = { names, action: action(o.action, o.errnoRet, ERRNO.EPERM, `${at}.action`), args };
  const includes = filter(o.includes, `${at}.includes`);
  const excludes = filter(o.excludes, `${at}.excludes`);
  return { ...out, ...(includes ? { includes } : {}), ...(excludes ? { excludes } : {}) };
}

/** JSON.parse's "at position N" also as line and column, which an editor can go to. */
function withLineCol(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${col})`;
}

/** The profile in `text`; throws SeccompProfileError saying what is wrong and where in it. */
export function parseDockerSeccompProfile(text: string): SeccompProfile {
  try {
    JSON.parse(text);
  } catch (err) {
    fail('', `not valid JSON: ${withLineCol(text, (err as Error).message)}`);
  }
  // Parsed again for its numbers: argument values go up to 2^64-1, beyond what a JS number holds.
  const data: Json = parseJsonBigInt(text);
  const o = object(data, '', ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata', 'comment']);
  if (o.listenerPath !== undefined && o.listenerPath !== '') fail('listenerPath', 'seccomp notify listeners are not supported by hafen');
  if (o.listenerMetadata !== undefined && o.listenerMetadata !== '') fail('listenerMetadata', 'seccomp notify listeners are not supported by hafen');
  if (strings(o.flags, 'flags').length > 0) fail('flags', 'seccomp filter flags are not supported by hafen');
  if (o.defaultAction === undefined) fail('', 'no "defaultAction"');
  const defaultErrno = o.defaultErrnoRet === undefined || o.defaultErrnoRet === null ? ERRNO.EPERM : Number(integer(o.defaultErrnoRet, 'defaultErrnoRet', 0n, 4095n));
  const defaultAction = action(o.defaultAction, undefined, defaultErrno, 'defaultAction');

  const architectures = strings(o.architectures, 'architectures');
  if (o.archMap !== undefined && o.archMap !== null) {
    if (architectures.length > 0) fail('', 'both "architectures" and "archMap" are given; use one');
    if (!Array.isArray(o.archMap)) fail('archMap', 'expected a list');
    (o.archMap as Json[]).forEach((m, i) => {
      const e = object(m, `archMap[${i}]`, ['architecture', 'subArchitectures']);
      if (typeof e.architecture !== 'string') fail(`archMap[${i}].architecture`, 'expected a string');
      architectures.push(e.architecture as string, ...strings(e.subArchitectures, `archMap[${i}].subArchitectures`));
    });
  }
  architectures.forEach((a, i) => ARCHES.has(a) || fail(`architectures[${i}]`, `unknown architecture ${JSON.stringify(a)}`));

  if (o.syscalls !== undefined && o.syscalls !== null && !Array.isArray(o.syscalls)) fail('syscalls', 'expected a list');
  const rules = ((o.syscalls as Json[] | null | undefined) ?? []).map((r, i) => rule(r, `syscalls[${i}]`));
  return { defaultAction, architectures, rules };
}
