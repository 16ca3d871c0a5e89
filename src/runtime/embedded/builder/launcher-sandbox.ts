/**
 * The build sandbox on hafen's process launcher (hafen-run): new mount, PID, UTS, IPC and cgroup
 * namespaces, the overlay mounted inside them (gone with the process), Docker's default
 * capabilities, no_new_privs, Docker's default seccomp profile and device rules (as `docker build`
 * applies them), stdin at EOF, stdout and stderr collected line by line.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { containerSeccompFilter } from '../../../seccomp/container-filter.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../launcher/capabilities.js';
import { exitCodeOf } from '../launcher/exit-status.js';
import { launch } from '../launcher/launch.js';
import type { LaunchSpec } from '../launcher/spec.js';
import { OutputTail, type RunRequest, type RunResult, type RunSandbox } from './run-sandbox.js';
import { stepDeviceCgroup } from './step-devices.js';

/** Runs RUN steps through hafen-run. */
export class LauncherSandbox implements RunSandbox {
  async run(req: RunRequest): Promise<RunResult> {
    let lower = req.lowerDirs;
    if (lower.length === 0) {
      // overlayfs needs a lower layer: an empty one stands for scratch.
      const empty = `${req.targetDir}.empty`;
      fs.mkdirSync(empty, { recursive: true, mode: 0o755 });
      lower = [empty];
    }
    const env: Record<string, string> = {};
    for (const entry of req.env) {
      const eq = entry.indexOf('=');
      env[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? '' : entry.slice(eq + 1);
    }
    const spec: LaunchSpec = {
      rootfs: { kind: 'overlay', lower, upper: req.upperDir, work: req.workDir, target: req.targetDir },
      hostReadOnly: req.hostPaths,
      binds: req.binds,
      net: req.network === 'host' ? 'host' : 'new',
      hostname: req.hostname,
      command: req.argv,
      env,
      cwd: req.cwd,
      user: { uid: req.uid, gid: req.gid, groups: req.groups },
      capabilities: DOCKER_DEFAULT_CAPABILITIES,
    };
    const seccomp = containerSeccompFilter({ kind: 'default' }, DOCKER_DEFAULT_CAPABILITIES);
    if (seccomp) spec.seccompFilter = seccomp;
    req.signal?.throwIfAborted();
    const devices = stepDeviceCgroup();
    try {
      if (devices) spec.cgroups = [devices.dir];
      return await this.launchStep(spec, req);
    } finally {
      await devices?.remove();
    }
  }

  private async launchStep(spec: LaunchSpec, req: RunRequest): Promise<RunResult> {
    const tail = new OutputTail(req.onOutput);
    const proc = await launch(spec, { stdio: 'pipe', name: 'build step' });
    const abort = () => proc.kill('SIGKILL');
    req.signal?.addEventListener('abort', abort, { once: true });
    try {
      proc.stdin?.end();
      proc.stdout?.on('data', (chunk: Buffer) => tail.push(chunk, 'stdout'));
      proc.stderr?.on('data', (chunk: Buffer) => tail.push(chunk, 'stderr'));
      const ended = Promise.all([streamEnd(proc.stdout), streamEnd(proc.stderr)]);
      try {
        await proc.go();
      } catch (err) {
        // The command could not start (not found, not executable): its reason is the output.
        if (!(err instanceof RuntimeError)) throw err;
        tail.add(err.message.replace(/^build step: /, ''));
      }
      const status = await proc.wait();
      await ended;
      req.signal?.throwIfAborted();
      return { exitCode: exitCodeOf(status), outputTail: tail.end() };
    } finally {
      req.signal?.removeEventListener('abort', abort);
    }
  }
}

function streamEnd(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}
