/**
 * Executing a RUN: the command in the sandbox on an overlay of the stage's layers, writing into
 * the step's fresh upper dir, with the host's network (or none), the image's user, and for
 * host-based images the host's system directories read-only. Mount points the sandbox had to
 * create (/proc, /dev, bind targets) are taken out of the upper dir again, so a step's layer
 * holds what the command changed and nothing else.
 */
import fs from 'node:fs';
import type { RunStep } from '../build/index.js';
import { lgetxattr } from '../native.js';
import { OVERLAY_OPAQUE_XATTR } from '../layers/whiteouts.js';
import { LayeredView } from './layered-view.js';
import type { StepDirs } from './layer-commit.js';
import type { RunResult, RunSandbox } from './run-sandbox.js';
import { hostsFileText, stepMounts, stepNetwork, type RunSettings } from './run-settings.js';
import { resolveOwner } from './user-lookup.js';

export interface RunStepInput {
  step: RunStep;
  /** The stage's layer folders, top-most first. */
  lowerDirs: string[];
  /** Host paths bound read-only (host-based images), else []. */
  hostPaths: string[];
  dirs: StepDirs;
  sandbox: RunSandbox;
  /** The build's network, extra hosts and secrets. */
  settings?: RunSettings;
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

/** Paths the sandbox mounts over in every container. */
const ALWAYS_MOUNTED = ['/proc', '/dev', '/sys'];
const HOSTNAME = 'hafen-build';

/** Runs the step's command; on success the upper dir holds only its changes. */
export async function executeRun(input: RunStepInput): Promise<RunResult> {
  const { step, lowerDirs, dirs } = input;
  const view = new LayeredView(lowerDirs, { name: 'the image' });
  const user = resolveOwner(step.user, view, true);

  const binds: { source: string; target: string; readOnly: boolean }[] = [];
  step.files.forEach((file, i) => {
    const source = `${dirs.files}/heredoc-${i}`;
    fs.writeFileSync(source, file.content, { mode: file.mode });
    binds.push({ source, target: file.path, readOnly: true });
  });
  const hosts = `${dirs.files}/hosts`;
  fs.writeFileSync(hosts, hostsFileText(HOSTNAME, input.settings?.extraHosts), { mode: 0o644 });
  binds.push({ source: hosts, target: '/etc/hosts', readOnly: true });
  const mounts = stepMounts(step, input.settings ?? {}, dirs.files);
  binds.push(...mounts.binds);
  const network = stepNetwork(step, input.settings);
  if (network === 'host' && fs.existsSync('/etc/resolv.conf')) binds.push({ source: '/etc/resolv.conf', target: '/etc/resolv.conf', readOnly: true });

  const env = [...step.env, ...step.proxyEnv, ...mounts.env];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home ?? '/'}`);
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${HOSTNAME}`);

  const result = await input.sandbox.run({
    lowerDirs,
    upperDir: dirs.upper,
    workDir: dirs.work,
    targetDir: dirs.target,
    hostPaths: input.hostPaths,
    binds,
    env,
    cwd: step.workdir,
    uid: user.uid,
    gid: user.gid,
    groups: user.groups ?? [],
    argv: step.argv,
    network,
    hostname: HOSTNAME,
    ...(input.onOutput ? { onOutput: input.onOutput } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (result.exitCode === 0) {
    removeMountStubs(dirs.upper, view, [...ALWAYS_MOUNTED, ...input.hostPaths, ...binds.map((b) => b.target)]);
  }
  return result;
}

/**
 * Removes from an upper dir the empty files and folders made only as mount points: absent from
 * the layers below, or copied up unchanged because a mount point was made inside them.
 */
export function removeMountStubs(upperDir: string, lower: LayeredView, paths: readonly string[]): void {
  const byDepth = [...new Set(paths)].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const path of byDepth) {
    const rel = path.split('/').filter(Boolean).join('/');
    if (rel === '' || !isStub(upperDir, rel, lower)) continue;
    fs.rmSync(`${upperDir}/${rel}`, { recursive: true, force: true });
    for (let parent = parentOf(rel); parent !== ''; parent = parentOf(parent)) {
      if (!isUnchangedCopyUp(upperDir, parent, lower)) break;
      fs.rmdirSync(`${upperDir}/${parent}`);
    }
  }
}

/** An empty file, empty folder or symlink in the upper dir that the layers below do not have. */
function isStub(upperDir: string, rel: string, lower: LayeredView): boolean {
  const abs = `${upperDir}/${rel}`;
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st || lower.lstat(rel)) return false;
  if (st.isDirectory()) return fs.readdirSync(abs).length === 0;
  return (st.isFile() && st.size === 0) || st.isSymbolicLink();
}

/** An empty folder in the upper dir that is new, or the same (mode, owner, not opaque) as below. */
function isUnchangedCopyUp(upperDir: string, rel: string, lower: LayeredView): boolean {
  const abs = `${upperDir}/${rel}`;
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st?.isDirectory() || fs.readdirSync(abs).length > 0) return false;
  if (lgetxattr(abs, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') return false;
  const below = lower.lstat(rel);
  if (!below) return true;
  return below.stats.isDirectory() && below.stats.mode === st.mode && below.stats.uid === st.uid && below.stats.gid === st.gid;
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
