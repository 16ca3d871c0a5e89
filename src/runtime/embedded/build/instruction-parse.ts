/**
 * Turns one logical line into a typed instruction, with BuildKit's per-instruction argument rules
 * (its line parsers and `instructions.Parse*`). Failures throw InstructionError with BuildKit's wording;
 * the caller adds file and line.
 */
import type { LogicalLine, ParseWarning } from './dockerfile-lines.js';
import { parseFlags, type FlagSpec, type FlagValues } from './flags.js';
import { closest, splitFirstWord, trimGo } from './go-text.js';
import { parseHealthcheck } from './healthcheck-parse.js';
import { parseHeredocWord, type Heredoc } from './heredoc.js';
import { InstructionError } from './instruction-error.js';
import type { CommandLine, Instruction, KeyValue, Located, RunNetwork } from './instructions.js';
import { parseRunMount } from './run-mounts.js';
import { maybeJson, parseJsonArray, parseWords, splitArgs, splitCommand, type MaybeJson } from './words.js';

/** Instruction names the parser knows, uppercase, for "did you mean". */
export const INSTRUCTION_NAMES = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  from: { platform: 'string' },
  run: { mount: 'strings', network: 'string', security: 'string', device: 'strings' },
  copy: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  add: {
    chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string',
    unpack: 'bool', exclude: 'strings',
  },
};

/** Flags Docker knows that need features hafen's builder does not have, with the reason. */
const UNSUPPORTED_FLAGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  run: {
    security: 'RUN --security is not supported by hafen builds',
    device: 'RUN --device is not supported by hafen builds',
  },
  copy: {
    parents: 'COPY --parents is not supported by hafen builds',
    exclude: 'COPY --exclude is not supported by hafen builds',
  },
  add: {
    'keep-git-dir': 'ADD --keep-git-dir is for git sources, which hafen builds do not fetch (no network)',
    checksum: 'ADD --checksum is for URL sources, which hafen builds do not fetch (no network)',
    exclude: 'ADD --exclude is not supported by hafen builds',
  },
};

const NETWORKS: readonly RunNetwork[] = ['default', 'none', 'host'];

/** Parses one logical line; `warnings` collects BuildKit's lint warnings (legacy `ENV k v`, MAINTAINER). */
export function parseInstruction(logical: LogicalLine, escape: string, warnings: ParseWarning[]): Instruction {
  const { name, flags, rest } = splitCommand(logical.text);
  const kind = name.toLowerCase();
  const at: Located = { line: logical.line, endLine: logical.endLine, source: trimGo(logical.text) };
  const flagsFor = (instruction: string): FlagValues => {
    const values = parseFlags(flags, FLAGS[instruction] ?? {});
    for (const used of values.used) {
      const reason = UNSUPPORTED_FLAGS[instruction]?.[used];
      if (reason !== undefined) throw new InstructionError(`--${used}: ${reason}`);
    }
    return values;
  };
  const upper = name.toUpperCase();
  const warn = (message: string): void => {
    warnings.push({ line: logical.line, message });
  };

  try {
    switch (kind) {
      case 'from': {
        const f = flagsFor('from');
        const args = splitArgs(rest);
        let stageName: string | undefined;
        if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
          stageName = args[2]!.toLowerCase();
          if (!/^[a-z][a-z0-9._-]*$/.test(stageName)) {
            throw new InstructionError(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
          }
        } else if (args.length !== 1) {
          throw new InstructionError('FROM requires either one or three arguments');
        }
        const platform = f.string('platform');
        return { kind: 'from', ...at, image: args[0]!, ...(stageName ? { stageName } : {}), ...(platform !== undefined ? { platform } : {}) };
      }
      case 'run': {
        const f = flagsFor('run');
        const network = f.string('network');
        if (network !== undefined && !NETWORKS.includes(network as RunNetwork)) {
          throw new InstructionError(`unsupported network mode ${JSON.stringify(network)} (use default, none or host)`);
        }
        const mounts = f.strings('mount').map(parseRunMount);
        const json = maybeJson(rest);
        if (json.json && json.args.length === 0) throw new InstructionError('RUN [] has no command to run');
        return {
          kind: 'run',
          ...at,
          command: commandLine(rest, json),
          ...(network !== undefined ? { network: network as RunNetwork } : {}),
          ...(mounts.length > 0 ? { mounts } : {}),
          heredocs: logical.heredocs,
        };
      }
      case 'cmd':
      case 'entrypoint': {
        flagsFor(kind);
        return { kind, ...at, command: commandLine(rest, maybeJson(rest)) };
      }
      case 'shell': {
        flagsFor('shell');
        const json = maybeJson(rest);
        if (!json.json) throw new InstructionError('SHELL requires the arguments to be in JSON form');
        if (json.args.length === 0) throw new InstructionError('SHELL requires at least one argument');
        return { kind: 'shell', ...at, shell: json.args };
      }
      case 'copy':
      case 'add': {
        const f = flagsFor(kind);
        const json = listArgs(rest);
        if (json.length < 2) {
          throw new InstructionError(`${upper} requires at least two arguments, but only one was provided. Destination could not be determined.`);
        }
        const { sources, inline, dest } = sourcesAndDest(json, logical.heredocs, upper);
        const chown = f.string('chown');
        const chmod = f.string('chmod');
        const common = {
          ...at,
          sources,
          inline,
          dest,
          ...(chown !== undefined ? { chown } : {}),
          ...(chmod !== undefined ? { chmod } : {}),
          link: f.bool('link') ?? false,
        };
        if (kind === 'copy') {
          const from = f.string('from');
          return { kind: 'copy', ...common, ...(from !== undefined ? { from } : {}) };
        }
        const unpack = f.bool('unpack');
        return { kind: 'add', ...common, ...(unpack !== undefined ? { unpack } : {}) };
      }
      case 'env':
      case 'label': {
        flagsFor(kind);
        const pairs = nameValues(rest, upper, escape, warn);
        return kind === 'env' ? { kind: 'env', ...at, pairs } : { kind: 'label', ...at, labels: pairs };
      }
      case 'arg': {
        flagsFor('arg');
        const words = parseWords(rest, escape);
        if (words.length === 0) throw new InstructionError('ARG requires at least one argument');
        const args = words.map((word) => {
          const eq = word.indexOf('=');
          if (eq < 0) return { name: word };
          if (eq === 0) throw new InstructionError('ARG names can not be blank');
          return { name: word.slice(0, eq), default: word.slice(eq + 1) };
        });
        return { kind: 'arg', ...at, args };
      }
      case 'workdir':
      case 'user':
      case 'stopsignal':
      case 'maintainer': {
        flagsFor(kind);
        if (rest === '') throw new InstructionError(`${upper} requires exactly one argument`);
        if (kind === 'workdir') return { kind, ...at, path: rest };
        if (kind === 'user') return { kind, ...at, user: rest };
        if (kind === 'stopsignal') return { kind, ...at, signal: rest };
        warn('MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors=... instead');
        return { kind, ...at, maintainer: rest };
      }
      case 'expose': {
        flagsFor('expose');
        const ports = splitArgs(rest);
        if (ports.length === 0) throw new InstructionError('EXPOSE requires at least one argument');
        return { kind: 'expose', ...at, ports };
      }
      case 'volume': {
        flagsFor('volume');
        const paths = listArgs(rest).map(trimGo);
        if (paths.length === 0) throw new InstructionError('VOLUME requires at least one argument');
        if (paths.some((p) => p === '')) throw new InstructionError('VOLUME specified can not be an empty string');
        return { kind: 'volume', ...at, paths };
      }
      case 'healthcheck':
        return { kind: 'healthcheck', ...at, healthcheck: parseHealthcheck(rest, flags) };
      case 'onbuild':
        throw new InstructionError(
          'ONBUILD is not supported by hafen builds (its triggers would only run in images built FROM this one)',
        );
      default: {
        const hint = closest(name, INSTRUCTION_NAMES);
        throw new InstructionError(`unknown instruction ${JSON.stringify(upper)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`);
      }
    }
  } catch (err) {
    if (err instanceof InstructionError) throw err;
    throw new InstructionError(err instanceof Error ? err.message : String(err));
  }
}

/** RUN/CMD/ENTRYPOINT: a JSON array is exec form, anything else (even malformed JSON) shell form. */
function commandLine(rest: string, json: MaybeJson): CommandLine {
  return json.json ? { form: 'exec', args: json.args } : { form: 'shell', command: rest };
}

/** COPY/ADD/VOLUME operands: a JSON array, or whitespace-separated words. */
function listArgs(rest: string): string[] {
  const json = parseJsonArray(rest);
  return json.json ? json.args : splitArgs(rest);
}

/** Splits COPY/ADD operands into path sources, heredoc sources and the destination. */
function sourcesAndDest(args: string[], heredocs: Heredoc[], upper: string): { sources: string[]; inline: Heredoc[]; dest: string } {
  const dest = args[args.length - 1]!;
  if (parseHeredocWord(dest)) throw new InstructionError(`${upper} cannot accept a heredoc as a destination`);
  const byName = new Map(heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const inline: Heredoc[] = [];
  for (const src of args.slice(0, -1)) {
    const doc = parseHeredocWord(src);
    const body = doc && byName.get(doc.name);
    if (doc && body) inline.push({ ...body, chomp: doc.chomp, expand: doc.expand });
    else sources.push(src);
  }
  return { sources, inline, dest };
}

/** ENV/LABEL: `k=v k2="v 2"` pairs, or the legacy `k v` (one pair, value is the rest of the line). */
function nameValues(rest: string, upper: string, escape: string, warn: (m: string) => void): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw new InstructionError(`${upper} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const parts = splitFirstWord(rest);
    if (parts.length < 2) throw new InstructionError(`${upper} must have two arguments`);
    if (parts[0] === '') throw new InstructionError(`${upper} names can not be blank`);
    warn(`"${upper} key=value" should be used instead of legacy "${upper} key value" format`);
    return [{ key: parts[0], value: parts[1]! }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw new InstructionError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    if (eq === 0) throw new InstructionError(`${upper} names can not be blank`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}
