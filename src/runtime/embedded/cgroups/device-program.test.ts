/**
 * The BPF device program, run by a small interpreter of the instructions it uses (decoded from the
 * encoded bytes, with the kernel's 64-bit registers and sign-extended immediates), against the
 * rules' own meaning (deviceAllowed) for every kind of request.
 */
import { describe, expect, it } from 'vitest';
import { parseDeviceCgroupRule } from '../../../config/device-cgroup-rule.js';
import { DEV_ACCESS, DEV_TYPE, OP, deviceProgram, encodeProgram } from './device-program.js';
import { ALLOW_ALL_DEVICES, DEFAULT_DEVICE_RULES, deviceAllowed, type DeviceRule } from './device-rules.js';

const U64 = (n: bigint) => BigInt.asUintN(64, n);
const U32 = (n: bigint) => BigInt.asUintN(32, n);

/** Runs the little-endian program `code` on the context (type, access, major, minor); returns r0. */
function run(code: Buffer, ctx: { type: number; access: number; major: number; minor: number }): bigint {
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(((ctx.access << 16) | ctx.type) >>> 0, 0);
  mem.writeUInt32LE(ctx.major, 4);
  mem.writeUInt32LE(ctx.minor, 8);
  const r = new Array<bigint>(11).fill(0n);
  let pc = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    if (pc < 0 || pc * 8 >= code.length) throw new Error(`pc ${pc} out of the program`);
    const op = code.readUInt8(pc * 8);
    const regs = code.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = code.readInt16LE(pc * 8 + 2);
    const imm = BigInt(code.readInt32LE(pc * 8 + 4));
    pc++;
    switch (op) {
      case OP.LDX_W:
        if (src !== 1) throw new Error('loads only from the context');
        r[dst] = BigInt(mem.readUInt32LE(off));
        break;
      case OP.AND32_K:
        r[dst] = U32(r[dst]! & imm);
        break;
      case OP.RSH32_K:
        r[dst] = U32(r[dst]!) >> imm;
        break;
      case OP.MOV32_X:
        r[dst] = U32(r[src]!);
        break;
      case OP.MOV32_K:
        r[dst] = U32(imm);
        break;
      case OP.JNE_K:
        if (r[dst] !== U64(imm)) pc += off;
        break;
      case OP.JNE_X:
        if (r[dst] !== r[src]) pc += off;
        break;
      case OP.EXIT:
        return r[0]!;
      default:
        throw new Error(`unknown opcode 0x${op.toString(16)}`);
    }
  }
  throw new Error('the program does not end');
}

function allows(rules: readonly DeviceRule[], type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  const bits = [...access].reduce((b, a) => b | DEV_ACCESS[a as 'r' | 'w' | 'm'], 0);
  const r0 = run(encodeProgram(deviceProgram(rules), 'LE'), { type: DEV_TYPE[type], access: bits, major, minor });
  if (r0 !== 0n && r0 !== 1n) throw new Error(`returned ${r0}`);
  return r0 === 1n;
}

const rules = (...texts: string[]) => texts.map(parseDeviceCgroupRule);

const ACCESSES = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
const DEVICES: [type: 'b' | 'c', major: number, minor: number][] = [
  ['c', 1, 3], ['c', 1, 5], ['c', 1, 7], ['c', 1, 9], ['c', 5, 0], ['c', 5, 2], ['c', 136, 0], ['c', 136, 7], ['c', 10, 229],
  ['c', 10, 200], ['c', 10, 237], ['c', 4, 1], ['c', 4, 64], ['b', 254, 0], ['b', 7, 0], ['b', 8, 1], ['c', 8, 1], ['b', 1, 3], ['c', 4095, 1048575],
];

describe('the BPF device program', () => {
  it.each([
    ['the default set', DEFAULT_DEVICE_RULES],
    ['everything', [ALLOW_ALL_DEVICES]],
    ['nothing', []],
    ['the default set and /dev/fuse', [...DEFAULT_DEVICE_RULES, ...rules('c 10:229 rwm')]],
    ['partial rules', rules('c 1:3 r', 'c 1:3 w', 'b 8:* rw', 'c *:1 m', 'a 7:* r', 'a *:0 w')],
    ['a wildcard type with all access', rules('a 10:* rwm')],
  ])('allows exactly what the rules allow: %s', (_what, list) => {
    for (const [type, major, minor] of DEVICES) {
      for (const access of ACCESSES) {
        expect(allows(list, type, major, minor, access), `${type} ${major}:${minor} ${access}`).toBe(deviceAllowed(list, type, major, minor, access));
      }
    }
  });

  it("gives Docker's default answers", () => {
    const d = DEFAULT_DEVICE_RULES;
    expect(allows(d, 'c', 1, 3, 'rw')).toBe(true); // /dev/null
    expect(allows(d, 'c', 136, 3, 'rw')).toBe(true); // a pty
    expect(allows(d, 'b', 254, 0, 'm')).toBe(true); // mknod of the host's disk…
    expect(allows(d, 'b', 254, 0, 'r')).toBe(false); // …but not reading it
    expect(allows(d, 'c', 4, 1, 'w')).toBe(false); // a host tty
    expect(allows(d, 'c', 10, 229, 'rw')).toBe(false); // /dev/fuse
    expect(allows(d, 'c', 10, 200, 'rw')).toBe(true); // /dev/net/tun, as runc keeps it
  });

  it('needs one rule to cover every access requested, as the v1 kernel does', () => {
    expect(allows(rules('c 1:3 r', 'c 1:* w'), 'c', 1, 3, 'rw')).toBe(false);
    // Two rules for the same device are one, with both accesses.
    expect(allows(rules('c 1:3 r', 'c 1:3 w'), 'c', 1, 3, 'rw')).toBe(true);
  });

  it('is a plain allow for everything, and ends in a refusal otherwise', () => {
    expect(deviceProgram([ALLOW_ALL_DEVICES]).map((i) => i.code)).toEqual([OP.MOV32_K, OP.EXIT]);
    const last = deviceProgram(DEFAULT_DEVICE_RULES).slice(-2);
    expect(last).toEqual([{ code: OP.MOV32_K, dst: 0, src: 0, off: 0, imm: 0 }, { code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
  });

  it('encodes in the host byte order, registers in struct bpf_insn bitfield order', () => {
    const one = [{ code: OP.JNE_K, dst: 4, src: 0, off: 3, imm: 254 }];
    expect(encodeProgram(one, 'LE').toString('hex')).toBe('55040300fe000000');
    expect(encodeProgram(one, 'BE').toString('hex')).toBe('55400003000000fe');
  });
});
