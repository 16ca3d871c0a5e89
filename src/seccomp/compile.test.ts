import { describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../runtime/embedded/launcher/capabilities.js';
import { decodeProgram } from './bpf-program.js';
import { actionValue, compileSeccomp, type SeccompArch } from './compile.js';
import { DEFAULT_SECCOMP_PROFILE } from './default-profile.js';
import { runFilter } from './filter-interpreter.js';
import { allow, errno, type ArgOp, type SeccompProfile } from './profile.js';
import { SYSCALL_TABLES } from './syscall-tables.generated.js';

const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 };
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;

/** A verdict function for the default profile with these capabilities. */
function defaultFilter(caps: readonly string[] = DOCKER_DEFAULT_CAPABILITIES, arch: SeccompArch = 'x86_64', profile: SeccompProfile = DEFAULT_SECCOMP_PROFILE) {
  const program = decodeProgram(compileSeccomp(profile, { arch, caps, kernel: '6.1.0' }));
  const table = arch === 'x86_64' ? SYSCALL_TABLES.x86_64 : SYSCALL_TABLES.aarch64;
  const audit = AUDIT[arch];
  const call = (name: string, ...args: (number | bigint)[]) => {
    const nr = (table as Record<string, number>)[name];
    if (nr === undefined) throw new Error(`no syscall ${name}`);
    return runFilter(program, { arch: audit, nr, args: args.map(BigInt) }).value;
  };
  return { program, call };
}

describe('the default profile on x86_64 with Docker default capabilities', () => {
  const { program, call } = defaultFilter();

  it('allows ordinary calls and refuses the dangerous ones with EPERM', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'exit_group', 'getrandom', 'chroot', 'arch_prctl', 'ptrace']) expect(call(name), name).toBe(ALLOW);
    for (const name of ['keyctl', 'add_key', 'request_key', 'unshare', 'setns', 'mount', 'umount2', 'bpf', 'perf_event_open', 'userfaultfd', 'kexec_load', 'init_module', 'reboot', 'swapon', 'open_by_handle_at', 'io_uring_setup', 'pivot_root'])
      expect(call(name), name).toBe(EPERM);
  });

  it('lets clone make threads and processes but not namespaces; clone3 says ENOSYS', () => {
    const CLONE_THREAD_FLAGS = 0x3d0f00; // what glibc's pthread_create passes
    expect(call('clone', CLONE_THREAD_FLAGS)).toBe(ALLOW);
    expect(call('clone', 17 /* SIGCHLD */)).toBe(ALLOW);
    for (const ns of [0x10000000 /* NEWUSER */, 0x20000 /* NEWNS */, 0x40000000 /* NEWNET */, 0x20000000 /* NEWPID */, 0x02000000 /* NEWCGROUP */])
      expect(call('clone', 17 | ns), ns.toString(16)).toBe(EPERM);
    expect(call('clone3')).toBe(ENOSYS);
  });

  it('refuses AF_ALG and AF_VSOCK sockets only, comparing all 64 bits', () => {
    expect([0, 1, 2, 10, 16, 17, 37, 38, 39, 40, 41, 45].map((f) => [f, call('socket', f, 1, 0) === ALLOW])).toEqual(
      [0, 1, 2, 10, 16, 17, 37, 38, 39, 40, 41, 45].map((f) => [f, f !== 38 && f !== 40]),
    );
    expect(call('socket', (1n << 32n) + 40n)).toBe(ALLOW); // > 40 as a 64-bit number, as libseccomp compares
  });

  it('allows only the listed personalities', () => {
    for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(call('personality', p), String(p)).toBe(ALLOW);
    for (const p of [1, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0x1ffffffff]) expect(call('personality', p), String(p)).toBe(EPERM);
  });

  it('filters the x32 ABI and i386 by their own tables, as Docker lists them, and refuses unknown arches with EPERM', () => {
    const x32 = (name: string, ...args: number[]) => runFilter(program, { arch: AUDIT.x86_64, nr: (SYSCALL_TABLES.x32 as Record<string, number>)[name]!, args: args.map(BigInt) }).value;
    expect(x32('read')).toBe(ALLOW);
    expect(x32('rt_sigaction')).toBe(ALLOW); // 512 + the x32 bit: x32's own numbers for calls with compat structs
    expect(x32('execve')).toBe(ALLOW);
    expect(x32('keyctl')).toBe(EPERM);
    expect(x32('unshare')).toBe(EPERM);
    expect(x32('clone', 17 | 0x10000000)).toBe(EPERM);
    expect(x32('clone', 17)).toBe(ALLOW);
    expect(runFilter(program, { arch: AUDIT.arm, nr: 3 }).value).toBe(EPERM); // arm is not a compat arch of x86_64
    const i386 = (name: string) => runFilter(program, { arch: AUDIT.i386, nr: (SYSCALL_TABLES.i386 as Record<string, number>)[name]! }).value;
    expect(i386('read')).toBe(ALLOW);
    expect(i386('socketcall')).toBe(ALLOW);
    expect(i386('keyctl')).toBe(EPERM);
    expect(i386('unshare')).toBe(EPERM);
  });

  it('answers ENOSYS for a syscall newer than the table, so libc falls back', () => {
    const newest = Math.max(...Object.values(SYSCALL_TABLES.x86_64));
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: newest + 1 }).value).toBe(ENOSYS);
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: 0x3fffffff }).value).toBe(ENOSYS);
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: 335 }).value).toBe(EPERM); // an unused number inside the table
  });

  it('agrees with the profile data for every syscall of the table', () => {
    const allowed = new Set(DEFAULT_SECCOMP_PROFILE.rules[0]!.names);
    for (const name of Object.keys(SYSCALL_TABLES.x86_64)) if (allowed.has(name)) expect(call(name), name).toBe(ALLOW);
  });

  it('is small and searches rather than scans', () => {
    expect(program.length).toBeLessThan(700);
    const steps = Object.values(SYSCALL_TABLES.x86_64).map((nr) => runFilter(program, { arch: AUDIT.x86_64, nr }).steps);
    expect(Math.max(...steps)).toBeLessThan(40);
  });
});

describe('capabilities widen the default profile as in Docker', () => {
  it('CAP_SYS_ADMIN allows unshare, mount, setns, clone of namespaces and clone3', () => {
    const { call } = defaultFilter([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const name of ['unshare', 'mount', 'umount2', 'setns', 'clone3', 'bpf', 'perf_event_open', 'sethostname']) expect(call(name), name).toBe(ALLOW);
    expect(call('clone', 17 | 0x10000000)).toBe(ALLOW);
    expect(call('keyctl')).toBe(EPERM);
  });
  it.each([
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_BPF', ['bpf']],
    ['CAP_PERFMON', ['perf_event_open']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ])('%s allows %j', (cap, names) => {
    const without = defaultFilter();
    const withCap = defaultFilter([...DOCKER_DEFAULT_CAPABILITIES, cap]);
    for (const name of names) {
      expect(without.call(name), name).toBe(EPERM);
      expect(withCap.call(name), name).toBe(ALLOW);
    }
  });
  it('dropping CAP_SYS_CHROOT refuses chroot', () => {
    expect(defaultFilter(DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT')).call('chroot')).toBe(EPERM);
  });
});

describe('the default profile on aarch64', () => {
  const { call } = defaultFilter(DOCKER_DEFAULT_CAPABILITIES, 'aarch64');
  it('uses the aarch64 numbers', () => {
    expect(call('read')).toBe(ALLOW);
    expect(call('openat')).toBe(ALLOW);
    expect(call('keyctl')).toBe(EPERM);
    expect(call('clone', 17 | 0x10000000)).toBe(EPERM);
    expect(call('clone', 17)).toBe(ALLOW);
    expect(call('set_tls' in SYSCALL_TABLES.aarch64 ? 'set_tls' : 'read')).toBe(ALLOW);
  });
  it('refuses an x86_64 caller', () => {
    const { program } = defaultFilter(DOCKER_DEFAULT_CAPABILITIES, 'aarch64');
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: 0 }).value).toBe(EPERM);
  });
  it('filters 32-bit arm programs by arm\'s own table (SCMP_ARCH_ARM), as Docker does', () => {
    const { program } = defaultFilter(DOCKER_DEFAULT_CAPABILITIES, 'aarch64');
    const arm = (name: string, ...args: number[]) => runFilter(program, { arch: AUDIT.arm, nr: (SYSCALL_TABLES.arm as Record<string, number>)[name]!, args: args.map(BigInt) }).value;
    for (const name of ['read', 'open', 'fork', 'socketcall' in SYSCALL_TABLES.arm ? 'socketcall' : 'socket', 'set_tls', 'cacheflush', 'arm_fadvise64_64']) expect(arm(name), name).toBe(ALLOW);
    for (const name of ['keyctl', 'unshare', 'bpf', 'mount', 'init_module']) expect(arm(name), name).toBe(EPERM);
    expect(arm('clone', 17 | 0x10000000)).toBe(EPERM);
    expect(arm('clone', 17)).toBe(ALLOW);
    expect(runFilter(program, { arch: AUDIT.arm, nr: Math.max(...Object.values(SYSCALL_TABLES.arm)) + 1 }).value).toBe(ENOSYS);
  });
});

describe('argument comparisons', () => {
  const values = [0n, 1n, 5n, 0xffffffffn, 0x100000000n, 0x100000005n, 0xfffffffffffffffen, 0xffffffffffffffffn];
  const reference: Record<ArgOp, (a: bigint, v: bigint, v2: bigint) => boolean> = {
    EQ: (a, v) => a === v,
    NE: (a, v) => a !== v,
    LT: (a, v) => a < v,
    LE: (a, v) => a <= v,
    GT: (a, v) => a > v,
    GE: (a, v) => a >= v,
    MASKED_EQ: (a, v, v2) => (a & v) === v2,
  };
  it.each(Object.keys(reference) as ArgOp[])('%s matches unsigned 64-bit arithmetic on both halves', (op) => {
    for (const value of values) {
      const valueTwo = op === 'MASKED_EQ' ? value & 0x0000000500000005n : 0n;
      const profile: SeccompProfile = {
        defaultAction: errno(1),
        architectures: [],
        rules: [{ names: ['write'], action: allow, args: [{ index: 2, op, value, valueTwo }] }],
      };
      const program = decodeProgram(compileSeccomp(profile, { arch: 'x86_64', caps: [], kernel: '6.1' }));
      for (const arg of values) {
        const got = runFilter(program, { arch: AUDIT.x86_64, nr: 1, args: [0n, 0n, arg] }).value === ALLOW;
        expect(got, `${arg} ${op} ${value}/${valueTwo}`).toBe(reference[op](arg, value, valueTwo));
      }
    }
  });

  it('ANDs the conditions of one rule and ORs the rules of one syscall, then the unconditional one', () => {
    const profile: SeccompProfile = {
      defaultAction: errno(1),
      architectures: [],
      rules: [
        { names: ['write'], action: errno(5), args: [{ index: 0, op: 'EQ', value: 1n, valueTwo: 0n }, { index: 1, op: 'EQ', value: 2n, valueTwo: 0n }] },
        { names: ['write'], action: errno(7), args: [{ index: 0, op: 'EQ', value: 3n, valueTwo: 0n }] },
        { names: ['write'], action: allow, args: [] },
      ],
    };
    const program = decodeProgram(compileSeccomp(profile, { arch: 'x86_64', caps: [], kernel: '6.1' }));
    const w = (a: number, b: number) => runFilter(program, { arch: AUDIT.x86_64, nr: 1, args: [BigInt(a), BigInt(b)] }).value;
    expect(w(1, 2)).toBe(actionValue(errno(5)));
    expect(w(1, 3)).toBe(ALLOW);
    expect(w(3, 0)).toBe(actionValue(errno(7)));
    expect(w(0, 0)).toBe(ALLOW);
  });

  it('reaches far targets through trampolines (hundreds of conditional rules)', () => {
    const rules = Array.from({ length: 300 }, (_, i) => ({ names: ['ioctl'], action: errno(i + 1), args: [{ index: 1, op: 'EQ' as const, value: BigInt(i), valueTwo: 0n }] }));
    const profile: SeccompProfile = { defaultAction: allow, architectures: [], rules };
    const program = decodeProgram(compileSeccomp(profile, { arch: 'x86_64', caps: [], kernel: '6.1' }));
    for (const i of [0, 150, 299]) expect(runFilter(program, { arch: AUDIT.x86_64, nr: 16, args: [0n, BigInt(i)] }).value).toBe(actionValue(errno(i + 1)));
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: 16, args: [0n, 300n] }).value).toBe(ALLOW);
    expect(runFilter(program, { arch: AUDIT.x86_64, nr: 0 }).value).toBe(ALLOW);
  });
});
