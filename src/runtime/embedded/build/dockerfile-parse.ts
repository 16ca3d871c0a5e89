/**
 * parseDockerfile: Dockerfile text to the instruction model (instructions.ts), the way BuildKit's
 * dockerfile frontend (syntax 1.x) reads it. Pure: no I/O.
 */
import { DockerfileError } from './dockerfile-error.js';
import { LineError, splitLogicalLines, type ParseWarning } from './dockerfile-lines.js';
import { heredocsInLine } from './heredoc.js';
import { InstructionError } from './instruction-error.js';
import { parseInstruction } from './instruction-parse.js';
import type { ArgInstruction, Dockerfile, Instruction, ParsedStage } from './instructions.js';
import { SubstitutionError } from './substitute.js';
import { parseJsonArray, splitCommand } from './words.js';

export interface ParseOptions {
  /** The name errors and warnings are reported against (usually the Dockerfile's path). */
  file: string;
}

const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

/** Parses a Dockerfile; throws DockerfileError (`file:line: message`) on the first problem. */
export function parseDockerfile(text: string, { file }: ParseOptions): Dockerfile {
  let split: ReturnType<typeof splitLogicalLines>;
  try {
    split = splitLogicalLines(text, findHeredocs);
  } catch (err) {
    if (err instanceof LineError) throw new DockerfileError(file, err.line, err.message);
    throw err;
  }
  const warnings: ParseWarning[] = [...split.warnings];
  if (split.lines.length === 0) throw new DockerfileError(file, undefined, 'file with no instructions');

  const instructions: Instruction[] = [];
  const globalArgs: ArgInstruction[] = [];
  const stages: ParsedStage[] = [];
  const stageNames = new Map<string, number>();
  for (const logical of split.lines) {
    let instruction: Instruction;
    try {
      instruction = parseInstruction(logical, split.escape, warnings);
    } catch (err) {
      if (err instanceof InstructionError || err instanceof SubstitutionError) {
        throw new DockerfileError(file, logical.line, err.message);
      }
      throw err;
    }
    instructions.push(instruction);
    if (instruction.kind === 'from') {
      const name = instruction.stageName;
      if (name !== undefined) {
        const earlier = stageNames.get(name);
        if (earlier !== undefined) {
          warnings.push({ line: instruction.line, message: `duplicate stage name ${JSON.stringify(name)}, first defined on line ${earlier}: stage names should be unique` });
        } else {
          stageNames.set(name, instruction.line);
        }
      }
      stages.push({ index: stages.length, from: instruction, instructions: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (current === undefined) {
      if (instruction.kind === 'arg') {
        globalArgs.push(instruction);
        continue;
      }
      throw new DockerfileError(file, instruction.line, `${instruction.kind.toUpperCase()} before the first FROM: no build stage in current context`);
    }
    current.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileError(file, undefined, 'dockerfile contains no stages to build');

  return {
    file,
    escape: split.escape,
    ...(split.syntax === undefined ? {} : { syntax: split.syntax }),
    instructions,
    globalArgs,
    stages,
    warnings,
  };
}

/** Heredocs are looked for only in the shell form of RUN, COPY and ADD, as BuildKit does. */
function findHeredocs(line: string): ReturnType<typeof heredocsInLine> {
  const { name, rest } = splitCommand(line);
  if (!HEREDOC_INSTRUCTIONS.has(name.toLowerCase()) || !line.includes('<<')) return [];
  try {
    if (parseJsonArray(rest).json) return [];
  } catch {
    return [];
  }
  return heredocsInLine(line);
}
