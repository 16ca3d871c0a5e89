/**
 * Running a command inside a running container, with its identity (user, environment, working
 * directory, capabilities, cgroups, privilege) unless the caller overrides them; output captured, or the
 * caller's terminal attached when interactive.
 */
import type { ExecOptions, ExecResult } from '../../runtime.js';
import { exitCodeOf } from '../launcher/exit-status.js';
import { execIn } from '../launcher/launch.js';
import { resolveUserInRootfs } from '../launcher/passwd.js';
import type { RecordRun } from './container-record.js';

/** Caps on what an exec's output keeps in memory. */
const MAX_OUTPUT = 16 * 1024 * 1024;

/** Runs `opts.command` in the container whose run is `run`; `timeoutMs` kills it (exit code 137). */
export async function execInContainer(name: string, run: RecordRun, opts: ExecOptions, timeoutMs?: number): Promise<ExecResult> {
  const base = run.process;
  // The container's own files, seen through its init: /etc/passwd of its image and upper layer.
  const other = opts.user ? await resolveUserInRootfs(`/proc/${run.pid}/root`, opts.user) : undefined;
  const user = other ?? base.user;
  const proc = execIn(
    run.pid,
    {
      command: opts.command,
      env: { ...base.env, ...(other ? { HOME: other.home } : {}), ...opts.env },
      cwd: opts.workingDir ?? base.cwd,
      user: { uid: user.uid, gid: user.gid, groups: user.groups ?? [] },
      capabilities: base.capabilities,
      cgroups: base.cgroups,
      tty: Boolean(opts.tty),
      privileged: Boolean(base.privileged),
      ...(base.ulimits ? { ulimits: base.ulimits } : {}),
      ...(base.allowNewPrivileges ? { allowNewPrivileges: true } : {}),
      ...(base.oomScoreAdj !== undefined ? { oomScoreAdj: base.oomScoreAdj } : {}),
      ...(base.seccomp ? { seccompFilter: Buffer.from(base.seccomp, 'base64') } : {}),
    },
    { stdio: opts.interactive ? 'inherit' : 'pipe', name: `container ${name}` },
  );
  let stdout = '';
  let stderr = '';
  proc.stdin?.end();
  proc.stdout?.on('data', (b: Buffer) => {
    if (stdout.length < MAX_OUTPUT) stdout += b.toString();
  });
  proc.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < MAX_OUTPUT) stderr += b.toString();
  });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  try {
    const status = await proc.wait();
    return { exitCode: exitCodeOf(status), stdout, stderr };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
