import { describe, expect, it } from 'vitest';
import { parseDockerSeccompProfile } from './docker-profile.js';

const profile = (o: unknown) => parseDockerSeccompProfile(JSON.stringify(o));

describe('parseDockerSeccompProfile', () => {
  it('reads Docker profile format into rules', () => {
    const p = profile({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: 'io' },
        { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8', arches: ['amd64'] } },
        { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS', args: null },
      ],
    });
    expect(p.defaultAction).toEqual({ kind: 'errno', errno: 38 });
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(p.rules.map((r) => [r.names.join(','), r.action])).toEqual([
      ['read,write', { kind: 'allow' }],
      ['mkdir', { kind: 'errno', errno: 13 }],
      ['clone', { kind: 'allow' }],
      ['ptrace', { kind: 'allow' }],
      ['kill', { kind: 'kill-process' }],
    ]);
    expect(p.rules[2]!.args).toEqual([{ index: 0, op: 'MASKED_EQ', value: 2114060288n, valueTwo: 0n }]);
    expect(p.rules[2]!.excludes).toEqual({ caps: ['CAP_SYS_ADMIN'], arches: [] });
    expect(p.rules[3]!.includes).toEqual({ caps: [], arches: ['amd64'], minKernel: '4.8' });
  });

  it('keeps 64-bit argument values exact', () => {
    const p = parseDockerSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}');
    expect(p.rules[0]!.args[0]!.value).toBe(18446744073709551615n);
    expect(p.rules[0]!.action).toEqual({ kind: 'errno', errno: 1 });
  });

  it.each([
    ['{', /not valid JSON/],
    [{ syscalls: [] }, /no "defaultAction"/],
    [{ defaultAction: 'SCMP_ACT_NOPE' }, /defaultAction: unknown action "SCMP_ACT_NOPE"/],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, /SCMP_ACT_NOTIFY is not supported/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, /listenerPath: seccomp notify listeners are not supported/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] }, /flags: seccomp filter flags are not supported/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', sycalls: [] }, /unknown key "sycalls"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [] }, /both "architectures" and "archMap"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }, /architectures\[0\]: unknown architecture "x86_64"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /syscalls\[0\].args\[0\].index: expected a whole number from 0 to 5/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] }, /syscalls\[0\].args\[0\].op: unknown comparison "SCMP_CMP_ABOUT"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'new' } }] }, /includes.minKernel: expected "MAJOR.MINOR"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }] }, /both "name" and "names"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, /syscalls\[0\]: no syscall names/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }, /errnoRet: expected a whole number/],
  ])('refuses %j', (input, message) => {
    expect(() => (typeof input === 'string' ? parseDockerSeccompProfile(input) : profile(input))).toThrow(message);
  });
});
