/**
 * Compose's build keys beyond context/dockerfile/args/target/labels/no_cache, each to its long form.
 * Nothing is refused here that Compose accepts: what a runtime cannot do is refused by the planner's
 * SUPPORT_RULES (src/planner/build-support.ts), so `config` reads every file Compose reads.
 */
import path from 'node:path';
import { ValueError } from './issues.js';
import { entries, parseExtraHosts, type Report } from './mappings.js';
import type { BuildSecret, BuildSpec, BuildSsh, BuildUlimit } from './model.js';
import type { RawBuild, RawBuildSecret } from './raw.js';
import { parseSize } from './units.js';

/** A top-level secret as a build can use it: a file (absolute) or an environment variable's name. */
export type SecretSource = { file: string } | { environment: string };

/** What normalizing the build keys needs from the stack around the service. */
export interface BuildKeysContext {
  /** Folder of the stack file: relative paths resolve here. */
  dir: string;
  /** The user's home folder, for `~/` paths. */
  home?: string;
  /** Top-level secrets by name (those defined by file or environment); undefined: no `secrets:` section. */
  secrets?: ReadonlyMap<string, SecretSource | undefined>;
}

/** A git context as Compose and the docker CLI recognize one: `git@…`, `git://…`, `github.com/…`, or http(s) ending in `.git` (or with a `#ref`). */
export function isGitContext(context: string): boolean {
  if (/^(git@|git:\/\/|github\.com\/)/.test(context)) return true;
  return /^https?:\/\//i.test(context) && /\.git(#.*)?$|#/.test(context);
}

/** The optional build keys of `spec`, normalized; each is absent when not written. */
export function composeBuildKeys(spec: RawBuild, ctx: BuildKeysContext, report: Report): Partial<BuildSpec> {
  const out: Partial<BuildSpec> = {};
  if (spec.dockerfile_inline !== undefined && spec.dockerfile !== undefined) report('.dockerfile_inline', '"dockerfile" and "dockerfile_inline" cannot both be set; remove one');
  else if (spec.dockerfile_inline !== undefined) out.dockerfile_inline = spec.dockerfile_inline;
  if (spec.additional_contexts !== undefined) out.additional_contexts = additionalContexts(spec, ctx, report);
  if (spec.network !== undefined) out.network = spec.network;
  if (spec.extra_hosts !== undefined) out.extra_hosts = parseExtraHosts(spec.extra_hosts, (at, m) => report(`.extra_hosts${at}`, m));
  if (spec.secrets !== undefined) out.secrets = buildSecrets(spec.secrets, ctx, report);
  if (spec.ssh !== undefined) out.ssh = sshKeys(spec, ctx, report);
  if (spec.cache_from !== undefined) out.cache_from = [...spec.cache_from];
  if (spec.cache_to !== undefined) out.cache_to = [...spec.cache_to];
  if (spec.pull !== undefined) out.pull = spec.pull;
  if (spec.tags !== undefined) out.tags = [...spec.tags];
  if (spec.shm_size !== undefined) {
    try {
      out.shm_size = parseSize(spec.shm_size);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      report('.shm_size', err.message);
    }
  }
  if (spec.ulimits !== undefined) out.ulimits = ulimits(spec.ulimits, report);
  if (spec.isolation !== undefined) out.isolation = spec.isolation;
  if (spec.platforms !== undefined) out.platforms = [...spec.platforms];
  if (spec.privileged !== undefined) out.privileged = spec.privileged;
  if (spec.entitlements !== undefined) out.entitlements = [...spec.entitlements];
  return out;
}

/** `name: path` (resolved), `docker-image://REF`, `service:NAME` or a URL, as written otherwise. */
function additionalContexts(spec: RawBuild, ctx: BuildKeysContext, report: Report): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value, at } of entries(spec.additional_contexts, (a, m) => report(`.additional_contexts${a}`, m))) {
    if (value === undefined || value === '') {
      report(`.additional_contexts${at}`, `expected a folder, docker-image://REF or service:NAME for the context "${name}"`);
      continue;
    }
    const prefixed = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('service:') || isGitContext(value);
    out[name] = prefixed ? value : hostPath(value, ctx);
  }
  return out;
}

/** Short names and long forms, each bound to its top-level secret's file or variable. */
function buildSecrets(list: (string | RawBuildSecret)[], ctx: BuildKeysContext, report: Report): BuildSecret[] {
  const out: BuildSecret[] = [];
  list.forEach((item, i) => {
    const raw: RawBuildSecret = typeof item === 'string' ? { source: item } : item;
    const defined = ctx.secrets?.get(raw.source);
    if (!ctx.secrets?.has(raw.source)) {
      report(`.secrets[${i}]`, `the secret "${raw.source}" is not defined in the top-level secrets: section`);
      return;
    }
    if (defined === undefined) {
      report(`.secrets[${i}]`, `the secret "${raw.source}" has neither file: nor environment:, which a build needs`);
      return;
    }
    const secret: BuildSecret = { id: raw.target ?? raw.source, source: raw.source, ...defined };
    if (raw.uid !== undefined) secret.uid = numericId(raw.uid, `.secrets[${i}].uid`, report);
    if (raw.gid !== undefined) secret.gid = numericId(raw.gid, `.secrets[${i}].gid`, report);
    if (raw.mode !== undefined) {
      const mode = typeof raw.mode === 'number' ? raw.mode : /^[0-7]{1,4}$/.test(raw.mode) ? parseInt(raw.mode, 8) : NaN;
      if (Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) secret.mode = mode;
      else report(`.secrets[${i}].mode`, `expected a file mode like 0400, got ${JSON.stringify(raw.mode)}`);
    }
    out.push(secret);
  });
  return out;
}

/** `default`, `ID=path` or `{ID: path}`: the agent of SSH_AUTH_SOCK, or a socket/key file (resolved). */
function sshKeys(spec: RawBuild, ctx: BuildKeysContext, report: Report): BuildSsh[] {
  return entries(spec.ssh, (at, m) => report(`.ssh${at}`, m)).map(({ name, value }) =>
    value === undefined || value === '' ? { id: name } : { id: name, path: hostPath(value, ctx) },
  );
}

function ulimits(raw: NonNullable<RawBuild['ulimits']>, report: Report): Record<string, BuildUlimit> {
  const out: Record<string, BuildUlimit> = {};
  for (const [name, v] of Object.entries(raw)) {
    const limit = typeof v === 'number' ? { soft: v, hard: v } : { soft: v.soft, hard: v.hard };
    if (limit.soft > limit.hard) report(`.ulimits.${name}`, `the soft limit ${limit.soft} is above the hard limit ${limit.hard}`);
    else out[name] = limit;
  }
  return out;
}

function numericId(text: string, at: string, report: Report): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  report(at, `expected a numeric id, got ${JSON.stringify(text)}`);
  return undefined;
}

/** A host path from the file: `~/` is the home folder, a relative one the stack file's folder. */
function hostPath(value: string, ctx: BuildKeysContext): string {
  if (ctx.home !== undefined && (value === '~' || value.startsWith('~/'))) return path.join(ctx.home, value.slice(1));
  return path.resolve(ctx.dir, value);
}

/** The top-level `secrets:` a build can use, by name (file resolved); `{}` when the file has none. */
export function secretSources(raw: object, dir: string): { secrets?: Map<string, SecretSource | undefined> } {
  const defined = (raw as { secrets?: Record<string, { file?: unknown; environment?: unknown } | null> }).secrets;
  if (defined === undefined || defined === null) return {};
  const secrets = new Map<string, SecretSource | undefined>();
  for (const [name, def] of Object.entries(defined)) {
    if (typeof def?.file === 'string') secrets.set(name, { file: path.resolve(dir, def.file) });
    else if (typeof def?.environment === 'string') secrets.set(name, { environment: def.environment });
    else secrets.set(name, undefined);
  }
  return { secrets };
}

/** The optional build keys written back as a stack file has them (`stack config`); loading the result gives them again. */
export function serializeBuildKeys(build: BuildSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {
    dockerfile_inline: build.dockerfile_inline,
    additional_contexts: build.additional_contexts,
    network: build.network,
    extra_hosts: build.extra_hosts,
    secrets: build.secrets?.map((s) => ({
      source: s.source,
      ...(s.id !== s.source ? { target: s.id } : {}),
      ...(s.uid !== undefined ? { uid: String(s.uid) } : {}),
      ...(s.gid !== undefined ? { gid: String(s.gid) } : {}),
      ...(s.mode !== undefined ? { mode: s.mode } : {}),
    })),
    ssh: build.ssh?.map((k) => (k.path === undefined ? k.id : `${k.id}=${k.path}`)),
    cache_from: build.cache_from,
    cache_to: build.cache_to,
    pull: build.pull,
    tags: build.tags,
    shm_size: build.shm_size,
    ulimits: build.ulimits,
    isolation: build.isolation,
    platforms: build.platforms,
    privileged: build.privileged,
    entitlements: build.entitlements,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
