/**
 * Classic BPF (struct sock_filter) as the seccomp filter uses it, written back to front: every
 * jump goes forward, so emitting the end first means each jump's target is already placed and its
 * offset known. A conditional jump reaches at most 255 instructions; a farther target gets a `ja`
 * trampoline.
 */

/** One struct sock_filter: code, jump-if-true, jump-if-false, constant. */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Opcodes used (linux/bpf_common.h). */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  RET_K: 0x06,
} as const;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const MAX_INSNS = 4096;

/** A place in the program, counted from its end (stable while more is prepended). */
export type Label = number;

/** A program built from its last instruction to its first. */
export class BackwardProgram {
  private readonly reversed: Insn[] = [];
  private readonly rets = new Map<number, Label>();

  get length(): number {
    return this.reversed.length;
  }

  /** Instructions between the next prepended one and `label`: the jump offset to it. */
  private distance(label: Label): number {
    return this.reversed.length - label - 1;
  }

  private push(insn: Insn): Label {
    this.reversed.push(insn);
    return this.reversed.length - 1;
  }

  /** A non-jump instruction. */
  op(code: number, k: number): Label {
    return this.push({ code, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** `ret k`, shared with an identical one placed close enough to reach without a trampoline. */
  ret(k: number): Label {
    const seen = this.rets.get(k >>> 0);
    if (seen !== undefined && this.distance(seen) < 128) return seen;
    const label = this.op(BPF.RET_K, k);
    this.rets.set(k >>> 0, label);
    return label;
  }

  /** An unconditional jump (32-bit offset). */
  ja(target: Label): Label {
    return this.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: this.distance(target) });
  }

  /** A conditional jump on A compared with k. */
  jump(code: number, k: number, ifTrue: Label, ifFalse: Label): Label {
    let jt = ifTrue;
    let jf = ifFalse;
    while (this.distance(jt) > 255 || this.distance(jf) > 255) {
      if (this.distance(jt) > 255) jt = this.ja(jt);
      else jf = this.ja(jf);
    }
    return this.push({ code, jt: this.distance(jt), jf: this.distance(jf), k: k >>> 0 });
  }

  /** The instructions first to last. */
  instructions(): Insn[] {
    return [...this.reversed].reverse();
  }
}

/** The program as the bytes of a struct sock_filter array (little-endian, as on x86_64 and aarch64). */
export function encodeProgram(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** The inverse of encodeProgram (for tests and tools). */
export function decodeProgram(buf: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i + 8 <= buf.length; i += 8) out.push({ code: buf.readUInt16LE(i), jt: buf.readUInt8(i + 2), jf: buf.readUInt8(i + 3), k: buf.readUInt32LE(i + 4) });
  return out;
}
