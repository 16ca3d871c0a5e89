/**
 * The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program, as raw eBPF instructions,
 * that allows exactly what the rules allow (the same allow-list the v1 devices cgroup gets). The
 * kernel runs it on every open and mknod of a device node by a process in the cgroup (and its
 * descendants) with `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`, where
 * access_type is `(access << 16) | type`; a return of 1 allows, 0 refuses with EPERM.
 * Pure: the bytes are loaded and attached by the native addon.
 */
import os from 'node:os';
import { allowsAllDevices, normalizeDeviceRules, type DeviceRule } from './device-rules.js';

/** BPF_DEVCG_DEV_*: the device type in the low 16 bits of access_type. */
export const DEV_TYPE = { b: 1, c: 2 } as const;
/** BPF_DEVCG_ACC_*: the access bits in the high 16 bits of access_type. */
export const DEV_ACCESS = { m: 1, r: 2, w: 4 } as const;

/** Opcodes used here (class | op | source). */
export const OP = {
  /** r_dst = *(u32 *)(r_src + off) */
  LDX_W: 0x61,
  /** w_dst &= imm */
  AND32_K: 0x54,
  /** w_dst >>= imm */
  RSH32_K: 0x74,
  /** w_dst = w_src */
  MOV32_X: 0xbc,
  /** w_dst = imm */
  MOV32_K: 0xb4,
  /** if r_dst != imm goto pc + 1 + off */
  JNE_K: 0x55,
  /** if r_dst != r_src goto pc + 1 + off */
  JNE_X: 0x5d,
  /** return r0 */
  EXIT: 0x95,
} as const;

/** One eBPF instruction (struct bpf_insn). */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** Registers as the program uses them: r1 the context, r2 type, r3 access, r4 major, r5 minor. */
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

function accessBits(access: string): number {
  return [...access].reduce((bits, a) => bits | DEV_ACCESS[a as keyof typeof DEV_ACCESS], 0);
}

/**
 * The program for `rules` (allow rules over "deny everything"): the context's fields into r2–r5,
 * then one block per rule that returns 1 when the request matches it (type, every requested access
 * among the rule's, major, minor), falling through to the next block otherwise; at the end, 0.
 */
export function deviceProgram(rules: readonly DeviceRule[]): Insn[] {
  const normal = normalizeDeviceRules(rules);
  // Everything allowed: nothing to test (and the verifier refuses instructions that can never run).
  if (allowsAllDevices(normal)) return [insn(OP.MOV32_K, R0, 0, 0, 1), insn(OP.EXIT, 0, 0, 0, 0)];
  const out: Insn[] = [
    insn(OP.LDX_W, R2, R1, 0, 0),
    insn(OP.AND32_K, R2, 0, 0, 0xffff),
    insn(OP.LDX_W, R3, R1, 0, 0),
    insn(OP.RSH32_K, R3, 0, 0, 16),
    insn(OP.LDX_W, R4, R1, 4, 0),
    insn(OP.LDX_W, R5, R1, 8, 0),
  ];
  for (const r of normal) {
    // Each test jumps to the next block; offsets are filled in once the block's length is known.
    const block: Insn[] = [];
    if (r.type !== 'a') block.push(insn(OP.JNE_K, R2, 0, 0, DEV_TYPE[r.type]));
    const bits = accessBits(r.access);
    if (bits !== 7) block.push(insn(OP.MOV32_X, R1, R3, 0, 0), insn(OP.AND32_K, R1, 0, 0, bits), insn(OP.JNE_X, R1, R3, 0, 0));
    if (r.major !== '*') block.push(insn(OP.JNE_K, R4, 0, 0, r.major));
    if (r.minor !== '*') block.push(insn(OP.JNE_K, R5, 0, 0, r.minor));
    block.push(insn(OP.MOV32_K, R0, 0, 0, 1), insn(OP.EXIT, 0, 0, 0, 0));
    block.forEach((i, at) => {
      if (i.code === OP.JNE_K || i.code === OP.JNE_X) i.off = block.length - at - 1;
    });
    out.push(...block);
  }
  out.push(insn(OP.MOV32_K, R0, 0, 0, 0), insn(OP.EXIT, 0, 0, 0, 0));
  return out;
}

/** The instructions as the kernel takes them on this host: 8 bytes each (code, registers, off, imm) in the host's byte order. */
export function encodeProgram(insns: readonly Insn[], endianness: 'LE' | 'BE' = os.endianness()): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  const le = endianness === 'LE';
  insns.forEach((i, n) => {
    const at = n * 8;
    buf.writeUInt8(i.code, at);
    // struct bpf_insn's dst_reg:4, src_reg:4 bitfields: dst in the low nibble on little-endian hosts.
    buf.writeUInt8(le ? (i.src << 4) | i.dst : (i.dst << 4) | i.src, at + 1);
    if (le) {
      buf.writeInt16LE(i.off, at + 2);
      buf.writeInt32LE(i.imm, at + 4);
    } else {
      buf.writeInt16BE(i.off, at + 2);
      buf.writeInt32BE(i.imm, at + 4);
    }
  });
  return buf;
}
