/**
 * The stage graph, before any stage is resolved: global ARGs, each FROM's base after substitution,
 * COPY --from references, the target, and which stages the target needs (BuildKit builds only
 * those). Cheap and pure, so the builder can learn which images to fetch first.
 */
import { hostPlatform, platformArgs, type Platform } from './build-args.js';
import { DockerfileError } from './dockerfile-error.js';
import type { Dockerfile } from './instructions.js';
import type { StageBase } from './stage-model.js';
import { processWord, SubstitutionError, type Env } from './substitute.js';

/** Inputs shared by planStages and resolveStages. */
export interface BuildOptions {
  /** `--build-arg` values; they override ARG defaults. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Name of the stage to build; default the last one. */
  target?: string;
  /** Platform for `TARGET*`/`BUILD*` args; default the host's. */
  platform?: Platform;
}

/** One stage's place in the graph. */
export interface StageNode {
  index: number;
  name?: string;
  displayName: string;
  line: number;
  base: StageBase;
  platform?: string;
  dependsOn: number[];
  copyFromImages: string[];
  needed: boolean;
}

/** The graph and what it was computed with. */
export interface StageGraph {
  stages: StageNode[];
  target: number;
  /** Needed stages, dependencies first. */
  order: number[];
  /** Global scope after ARGs before the first FROM: platform args, then those ARGs' values. */
  globalArgs: Env;
  /** Names declared by an ARG before the first FROM. */
  globalArgNames: Set<string>;
}

/** Computes the stage graph; throws DockerfileError for bad FROM lines, COPY --from, targets and cycles. */
export function planStages(df: Dockerfile, opts: BuildOptions = {}): StageGraph {
  const fail = (line: number | undefined, message: string): never => {
    throw new DockerfileError(df.file, line, message);
  };
  const buildArgs = opts.buildArgs ?? {};
  const lastStage = df.stages[df.stages.length - 1]!;
  const targetName = opts.target ?? lastStage.from.stageName ?? '';
  const platform = opts.platform ?? hostPlatform();

  const global = new Map<string, string>();
  for (const [k, v] of platformArgs(hostPlatform(), platform, targetName)) global.set(k, buildArgs[k] ?? v);
  const globalArgNames = new Set<string>();
  for (const arg of df.globalArgs) {
    for (const decl of arg.args) {
      globalArgNames.add(decl.name);
      let value: string | undefined = Object.hasOwn(buildArgs, decl.name) ? buildArgs[decl.name] : undefined;
      if (value === undefined && decl.default !== undefined) value = substituteAt(df.file, arg.line, decl.default, global, df.escape);
      if (value !== undefined) global.set(decl.name, value);
    }
  }

  const nodes: StageNode[] = [];
  const byName = new Map<string, number>();
  for (const stage of df.stages) {
    const from = stage.from;
    const image = substituteAt(df.file, from.line, from.image, global, df.escape);
    if (image === '') fail(from.line, `base name (${from.image}) should not be blank`);
    let platformValue: string | undefined;
    if (from.platform !== undefined) {
      platformValue = substituteAt(df.file, from.line, from.platform, global, df.escape);
      if (platformValue === '') fail(from.line, `empty platform value from expression ${from.platform}`);
      if (!/^[a-z0-9_-]+\/[a-z0-9_-]+(\/[a-z0-9_.-]+)?$/i.test(platformValue)) {
        fail(from.line, `failed to parse platform ${platformValue}: expected os/arch[/variant]`);
      }
    }
    const baseIndex = byName.get(image);
    const base: StageBase =
      baseIndex !== undefined ? { kind: 'stage', index: baseIndex } : image === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: image };
    nodes.push({
      index: stage.index,
      ...(from.stageName !== undefined ? { name: from.stageName } : {}),
      displayName: from.stageName ?? `stage-${stage.index}`,
      line: from.line,
      base,
      ...(platformValue !== undefined ? { platform: platformValue } : {}),
      dependsOn: baseIndex !== undefined ? [baseIndex] : [],
      copyFromImages: [],
      needed: false,
    });
    if (from.stageName !== undefined) byName.set(from.stageName, stage.index);
  }

  // COPY --from: a stage by name (any case) or index, else an image. Names resolve against all stages.
  const copyLines = new Map<string, number>();
  for (const stage of df.stages) {
    const node = nodes[stage.index]!;
    for (const ins of stage.instructions) {
      if (ins.kind !== 'copy' || ins.from === undefined) continue;
      const from = ins.from;
      if (substituteAt(df.file, ins.line, from, new Map(), df.escape) !== from) {
        fail(ins.line, 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround');
      }
      const source = resolveCopyFrom(nodes, from);
      if (source.kind === 'invalid') fail(ins.line, `invalid stage index ${from}`);
      const dep = source.kind === 'stage' ? source.index : undefined;
      if (dep === undefined) {
        if (!node.copyFromImages.includes(from)) node.copyFromImages.push(from);
        continue;
      }
      if (!node.dependsOn.includes(dep)) node.dependsOn.push(dep);
      copyLines.set(`${stage.index}->${dep}`, ins.line);
    }
    node.dependsOn.sort((a, b) => a - b);
  }

  const cycle = findCycle(nodes);
  if (cycle !== undefined) {
    const at = nodes[cycle]!;
    const selfLine = [...copyLines.entries()].find(([k]) => k.startsWith(`${cycle}->`))?.[1];
    fail(selfLine ?? at.line, `circular dependency detected on stage: ${at.displayName}`);
  }

  let target = nodes.length - 1;
  if (opts.target !== undefined) {
    const found = nodes.findLast((n) => n.name === opts.target!.toLowerCase());
    if (found === undefined) {
      const names = nodes.flatMap((n) => (n.name ? [n.name] : []));
      fail(undefined, `target stage ${JSON.stringify(opts.target)} could not be found${names.length ? ` (stages: ${names.join(', ')})` : ' (no stage has a name)'}`);
    }
    target = found!.index;
  }

  const stack = [target];
  while (stack.length > 0) {
    const n = nodes[stack.pop()!]!;
    if (n.needed) continue;
    n.needed = true;
    stack.push(...n.dependsOn);
  }
  for (const n of nodes) {
    if (!n.needed) continue;
    for (const dep of n.dependsOn) {
      if (dep > n.index) {
        fail(copyLines.get(`${n.index}->${dep}`) ?? n.line, `cannot copy from stage ${JSON.stringify(nodes[dep]!.displayName)}, it needs to be defined before current stage ${JSON.stringify(n.displayName)}`);
      }
    }
  }
  const order = nodes.filter((n) => n.needed).map((n) => n.index);
  return { stages: nodes, target, order, globalArgs: global, globalArgNames };
}

/** What `COPY --from=X` names: a stage by index or name (any case; the last one of that name), else an image. */
export function resolveCopyFrom(
  stages: readonly { index: number; name?: string }[],
  from: string,
): { kind: 'stage'; index: number } | { kind: 'image'; ref: string } | { kind: 'invalid' } {
  if (/^\d+$/.test(from)) {
    const index = Number(from);
    return index < stages.length ? { kind: 'stage', index } : { kind: 'invalid' };
  }
  const named = stages.findLast((s) => s.name === from.toLowerCase());
  return named ? { kind: 'stage', index: named.index } : { kind: 'image', ref: from };
}

/** The first stage found on a dependency cycle, if any. */
function findCycle(nodes: readonly StageNode[]): number | undefined {
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number): number | undefined => {
    state.set(i, 'visiting');
    for (const dep of nodes[i]!.dependsOn) {
      const s = state.get(dep);
      if (s === 'visiting') return dep;
      if (s === undefined) {
        const found = visit(dep);
        if (found !== undefined) return found;
      }
    }
    state.set(i, 'done');
    return undefined;
  };
  for (const n of nodes) {
    if (state.get(n.index) === undefined) {
      const found = visit(n.index);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** processWord, with a failure reported at `line`. */
export function substituteAt(file: string, line: number, word: string, env: Env, escape: string): string {
  try {
    return processWord(word, env, { escape });
  } catch (err) {
    if (err instanceof SubstitutionError) throw new DockerfileError(file, line, err.message);
    throw err;
  }
}

