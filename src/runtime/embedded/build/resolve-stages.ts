/**
 * resolveStages: each needed stage's instructions with arguments substituted under Docker's
 * ARG/ENV scoping, and the image config each stage ends with. Pure; base images' configs come
 * from the caller.
 *
 * Scoping, as BuildKit does it: ARGs before the first FROM are only seen by FROM lines, unless
 * redeclared (`ARG NAME`) in a stage, which takes the global value; an ARG is visible from its line
 * to the end of its stage (and in stages built FROM it); `--build-arg` beats a default; ENV and ARG
 * write one environment, so the later of the two wins (an ENV after an ARG of the same name
 * overrides it); RUN sees that environment, the image keeps only ENV.
 */
import { isPredefinedArg, isProxyArg } from './build-args.js';
import { normalizeDest, normalizeWorkdir } from './container-path.js';
import { DockerfileError } from './dockerfile-error.js';
import { chompHeredoc, parseHeredocWord } from './heredoc.js';
import { addEnv, cloneConfig, emptyConfig, splitEnv } from './image-config.js';
import type { Dockerfile, StageInstruction } from './instructions.js';
import { exposedPortKeys } from './port-spec.js';
import { checkSignal } from './signals.js';
import { planStages, resolveCopyFrom, substituteAt, type BuildOptions, type StageNode } from './stage-graph.js';
import type { BuildWarning, CopySource, ImageConfig, InlineFile, ResolvedBuild, Stage, Step } from './stage-model.js';
import { processWord, processWords } from './substitute.js';
import { DEFAULT_PATH } from './default-path.js';

/** resolveStages' inputs. */
export interface ResolveOptions extends BuildOptions {
  /** The config of an image a FROM names (once fetched); undefined means an empty config. */
  imageConfig?: (ref: string) => Partial<ImageConfig> | undefined;
}

/** The PATH BuildKit gives a stage whose image has none (its own module: containers need it without the Dockerfile parser). */
export { DEFAULT_PATH } from './default-path.js';
/** The SHELL when none is set. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** ARGs BuildKit keeps out of the environment. */
const NON_ENV_ARGS = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

/** A stage's state while its instructions are applied. */
interface StageState {
  /** Build-time environment: the image's ENV, then ENV and ARG lines in order. */
  env: Map<string, string>;
  config: ImageConfig;
  /** Whether this stage set CMD (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

/** Resolves every stage the target needs; throws DockerfileError naming the line at fault. */
export function resolveStages(df: Dockerfile, opts: ResolveOptions = {}): ResolvedBuild {
  const graph = planStages(df, opts);
  const buildArgs = opts.buildArgs ?? {};
  const declared = new Set(graph.globalArgNames);
  const finished = new Map<number, StageState>();
  const stages: Stage[] = graph.stages.map((node) => ({ ...node, steps: [], config: emptyConfig() }));

  for (const index of graph.order) {
    const node = graph.stages[index]!;
    const state = initialState(df, node, finished, opts);
    const ctx: Context = { df, graph: graph.stages, global: graph.globalArgs, buildArgs, declared, state };
    const steps = df.stages[index]!.instructions.map((ins) => resolveInstruction(ins, ctx));
    finished.set(index, state);
    stages[index] = { ...node, steps, config: state.config };
  }

  const warnings: BuildWarning[] = [...df.warnings];
  const unused = Object.keys(buildArgs).filter((name) => !declared.has(name) && !isPredefinedArg(name));
  if (unused.length > 0) {
    warnings.push({ message: `one or more build-args were not consumed (no ARG declares them): ${unused.sort().join(', ')}` });
  }
  return { stages, target: graph.target, order: graph.order, warnings };
}

interface Context {
  df: Dockerfile;
  graph: readonly StageNode[];
  global: ReadonlyMap<string, string>;
  buildArgs: Readonly<Record<string, string>>;
  declared: Set<string>;
  state: StageState;
}

/** A stage's state before its first instruction: its base's, with the image config's ENV, WORKDIR and PATH. */
function initialState(df: Dockerfile, node: StageNode, finished: ReadonlyMap<number, StageState>, opts: ResolveOptions): StageState {
  let state: StageState;
  if (node.base.kind === 'stage') {
    const base = finished.get(node.base.index)!;
    state = { env: new Map(base.env), config: cloneConfig(base.config), cmdSet: false };
  } else {
    const config = cloneConfig(node.base.kind === 'image' ? (opts.imageConfig?.(node.base.ref) ?? {}) : {});
    if (node.base.kind === 'image' && config.onBuild && config.onBuild.length > 0) {
      throw new DockerfileError(df.file, node.line, `base image ${node.base.ref} has ONBUILD triggers, which hafen builds do not run`);
    }
    state = { env: new Map(), config, cmdSet: false };
  }
  if (!state.config.env.some((e) => splitEnv(e)[0] === 'PATH')) state.config.env.push(`PATH=${DEFAULT_PATH}`);
  for (const entry of state.config.env) state.env.set(...splitEnv(entry));
  if (state.config.workingDir !== '') state.config.workingDir = normalizeWorkdir('/', state.config.workingDir);
  return state;
}

function resolveInstruction(ins: StageInstruction, ctx: Context): Step {
  const { df, state } = ctx;
  const { config } = state;
  const at = { line: ins.line, endLine: ins.endLine, source: ins.source };
  const fail = (message: string): never => {
    throw new DockerfileError(df.file, ins.line, message);
  };
  const sub = (word: string): string => substituteAt(df.file, ins.line, word, state.env, df.escape);
  const attempt = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DockerfileError) throw err;
      return fail(err instanceof Error ? err.message : String(err));
    }
  };
  const shell = config.shell ?? [...DEFAULT_SHELL];

  switch (ins.kind) {
    case 'run': {
      const files: InlineFile[] = [];
      let argv: string[];
      const cmd = ins.command;
      if (cmd.form === 'exec') {
        argv = [...cmd.args];
      } else if (ins.heredocs.length > 0 && parseHeredocWord(cmd.command) !== undefined) {
        // The whole command is one heredoc: run its body (a `#!` script from a mounted file).
        const doc = ins.heredocs[0]!;
        const body = doc.chomp ? chompHeredoc(doc.content) : doc.content;
        if (body.startsWith('#!')) {
          const path = `/dev/pipes/${doc.name}`;
          files.push({ path, content: body, mode: 0o755 });
          argv = [...shell, path];
        } else {
          argv = [...shell, body];
        }
      } else {
        // Heredocs inside a longer command line: hand the whole text to the shell.
        argv = [...shell, ins.heredocs.reduce((full, doc) => `${full}\n${doc.content}${doc.name}`, cmd.command)];
      }
      const env = [...state.env].map(([k, v]) => `${k}=${v}`);
      const proxyEnv = Object.entries(ctx.buildArgs)
        .filter(([k]) => isProxyArg(k) && !state.env.has(k))
        .map(([k, v]) => `${k}=${v}`);
      return {
        kind: 'run',
        ...at,
        argv,
        env,
        proxyEnv,
        ...(ins.network !== undefined ? { network: ins.network } : {}),
        ...(ins.mounts ? { mounts: ins.mounts } : {}),
        user: config.user,
        workdir: config.workingDir || '/',
        files,
      };
    }
    case 'copy':
    case 'add': {
      const sources = ins.sources.map(sub);
      for (const src of sources) {
        if (/^https?:\/\//i.test(src) || /^git@/.test(src) || /^git:\/\//.test(src)) {
          fail(
            ins.kind === 'copy'
              ? `source can't be a URL for COPY: ${src}`
              : `ADD ${src}: remote sources (URLs, git) are not supported, hafen builds have no network; put the file in the build context instead`,
          );
        }
      }
      const chown = ins.chown !== undefined ? sub(ins.chown) : '';
      const chmodText = ins.chmod !== undefined ? sub(ins.chmod) : '';
      let chmod: number | undefined;
      if (chmodText !== '') {
        chmod = /^[0-7]+$/.test(chmodText) ? Number.parseInt(chmodText, 8) : NaN;
        if (!(chmod <= 0o7777)) fail(`invalid chmod parameter: '${chmodText}'. it should be octal string and between 0 and 07777`);
      }
      const inline: InlineFile[] = ins.inline.map((doc) => {
        let content = doc.chomp ? chompHeredoc(doc.content) : doc.content;
        if (doc.expand) content = attempt(() => processWord(content, state.env, { skipQuotes: true }));
        return { path: doc.name, content, mode: chmod ?? 0o644 };
      });
      let from: CopySource = { kind: 'context' };
      if (ins.kind === 'copy' && ins.from !== undefined) {
        const found = resolveCopyFrom(ctx.graph, ins.from);
        from = found.kind === 'invalid' ? fail(`invalid stage index ${ins.from}`) : found;
      }
      const dest = attempt(() => normalizeDest(config.workingDir || '/', sub(ins.dest)));
      return {
        kind: ins.kind,
        ...at,
        from,
        sources,
        inline,
        dest,
        ...(chown !== '' ? { chown } : {}),
        ...(chmod !== undefined ? { chmod } : {}),
        unpack: ins.kind === 'add' ? (ins.unpack ?? true) : false,
        link: ins.link,
        user: config.user,
        workdir: config.workingDir || '/',
      };
    }
    case 'env': {
      const pairs = ins.pairs.map((p): [string, string] => [sub(p.key), sub(p.value)]);
      for (const [k, v] of pairs) {
        state.env.set(k, v);
        addEnv(config.env, k, v);
      }
      return { kind: 'env', ...at, pairs };
    }
    case 'arg': {
      const args: { name: string; value?: string }[] = [];
      for (const decl of ins.args) {
        ctx.declared.add(decl.name);
        const given = Object.hasOwn(ctx.buildArgs, decl.name) ? ctx.buildArgs[decl.name] : undefined;
        let value: string | undefined;
        if (given !== undefined) value = given;
        else if (decl.default !== undefined) value = sub(decl.default);
        else value = ctx.global.get(decl.name);
        if (value !== undefined && !NON_ENV_ARGS.has(decl.name)) state.env.set(decl.name, value);
        args.push(value === undefined ? { name: decl.name } : { name: decl.name, value });
      }
      return { kind: 'arg', ...at, args };
    }
    case 'workdir': {
      const path = attempt(() => normalizeWorkdir(config.workingDir, sub(ins.path)));
      config.workingDir = path;
      return { kind: 'workdir', ...at, path };
    }
    case 'user': {
      config.user = sub(ins.user);
      return { kind: 'user', ...at, user: config.user };
    }
    case 'expose': {
      const keys = new Set<string>();
      for (const raw of ins.ports) {
        const words = attempt(() => processWords(raw, state.env, { escape: df.escape }));
        for (const word of words) for (const key of attempt(() => exposedPortKeys(word))) keys.add(key);
      }
      const ports = [...keys].sort();
      config.exposedPorts = [...new Set([...config.exposedPorts, ...ports])].sort();
      return { kind: 'expose', ...at, ports };
    }
    case 'cmd': {
      const cmd = ins.command.form === 'exec' ? [...ins.command.args] : [...shell, ins.command.command];
      config.cmd = cmd;
      state.cmdSet = true;
      return { kind: 'cmd', ...at, cmd };
    }
    case 'entrypoint': {
      const c = ins.command;
      const entrypoint = c.form === 'exec' ? (c.args.length === 0 ? undefined : [...c.args]) : [...shell, c.command];
      if (entrypoint === undefined) delete config.entrypoint;
      else config.entrypoint = entrypoint;
      if (!state.cmdSet) delete config.cmd;
      return { kind: 'entrypoint', ...at, ...(entrypoint ? { entrypoint } : {}) };
    }
    case 'label': {
      const labels = ins.labels.map((p): [string, string] => [sub(p.key), sub(p.value)]);
      for (const [k, v] of labels) config.labels[k] = v;
      return { kind: 'label', ...at, labels };
    }
    case 'healthcheck':
      config.healthcheck = { ...ins.healthcheck, test: [...ins.healthcheck.test] };
      return { kind: 'healthcheck', ...at, healthcheck: config.healthcheck };
    case 'stopsignal': {
      const signal = sub(ins.signal);
      attempt(() => checkSignal(signal));
      config.stopSignal = signal;
      return { kind: 'stopsignal', ...at, signal };
    }
    case 'shell':
      config.shell = [...ins.shell];
      return { kind: 'shell', ...at, shell: [...ins.shell] };
    case 'volume': {
      const paths = ins.paths.map(sub);
      if (paths.some((p) => p === '')) fail('VOLUME specified can not be an empty string');
      config.volumes = [...new Set([...config.volumes, ...paths])].sort();
      return { kind: 'volume', ...at, paths };
    }
    case 'maintainer':
      config.author = ins.maintainer;
      return { kind: 'maintainer', ...at, maintainer: ins.maintainer };
    default: {
      const never: never = ins;
      throw new Error(`unhandled instruction ${JSON.stringify(never)}`);
    }
  }
}

