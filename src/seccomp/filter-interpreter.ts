/**
 * Runs a seccomp BPF program on one syscall, as the kernel would: for tests and for checking a
 * compiled profile without installing it. Knows the instructions the compiler emits.
 */
import { BPF, type Insn } from './bpf-program.js';

/** One syscall as the filter sees it (struct seccomp_data). */
export interface SyscallProbe {
  arch: number;
  nr: number;
  args?: readonly bigint[];
}

/** The filter's verdict (a SECCOMP_RET_* value) and how many instructions it took. */
export interface FilterVerdict {
  value: number;
  steps: number;
}

/** Executes the program on the probe; throws on an instruction it does not know or a fall off the end. */
export function runFilter(program: readonly Insn[], probe: SyscallProbe): FilterVerdict {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(probe.nr >>> 0, 0);
  data.writeUInt32LE(probe.arch >>> 0, 4);
  (probe.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let a = 0;
  let steps = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const insn = program[pc]!;
    steps++;
    switch (insn.code) {
      case BPF.LD_W_ABS:
        if (insn.k % 4 !== 0 || insn.k + 4 > 64) throw new Error(`bad load offset ${insn.k} at ${pc}`);
        a = data.readUInt32LE(insn.k);
        break;
      case BPF.ALU_AND_K:
        a = (a & insn.k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += insn.k;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === insn.k ? insn.jt : insn.jf;
        break;
      case BPF.JMP_JGT_K:
        pc += a > insn.k ? insn.jt : insn.jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= insn.k ? insn.jt : insn.jf;
        break;
      case BPF.RET_K:
        return { value: insn.k >>> 0, steps };
      default:
        throw new Error(`unknown BPF opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program ran off its end');
}
