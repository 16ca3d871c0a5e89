/** `logs` on a Docker Swarm: each service's logs through the manager (`docker service logs`), merged, with -f followed. */
import type Docker from 'dockerode';
import type { LogLine } from '../../runtime/runtime.js';
import { logParser } from '../../runtime/docker/log-lines.js';
import { Label } from '../../runtime/runtime.js';
import { projectServices } from '../../runtime/swarm/swarm-resources.js';

/** What to read. */
export interface SwarmLogsOptions {
  services?: readonly string[];
  follow?: boolean;
  tail?: number;
  /** An ISO time, or epoch ms (as `--since` gives them). */
  since?: string | number;
  signal?: AbortSignal;
}

/** Calls `onLine` with each line of the project's services (as they come with `follow`); resolves when all streams end. */
export async function swarmLogs(docker: Docker, project: string, opts: SwarmLogsOptions, onLine: (service: string, line: LogLine) => void): Promise<void> {
  const services = [...(await projectServices(docker, project)).values()].filter((s) => !opts.services?.length || opts.services.includes(s.Spec?.Labels?.[Label.service] ?? ''));
  await Promise.all(
    services.map(async (s) => {
      const name = s.Spec?.Labels?.[Label.service] ?? s.Spec?.Name ?? s.ID;
      const parser = logParser(false, (line) => onLine(name, line));
      const since = opts.since === undefined ? undefined : (typeof opts.since === 'string' ? Date.parse(opts.since) : opts.since) / 1000;
      const body = (await docker.getService(s.ID).logs({
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: Boolean(opts.follow),
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(since !== undefined ? { since } : {}),
      } as Docker.ContainerLogsOptions)) as unknown as Buffer | NodeJS.ReadableStream;
      if (Buffer.isBuffer(body)) {
        parser.push(body);
        parser.end();
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          resolve();
        };
        opts.signal?.addEventListener('abort', stop, { once: true });
        body.on('data', (c: Buffer) => parser.push(c));
        body.on('end', () => (parser.end(), resolve()));
        body.on('error', (err: Error) => (opts.signal?.aborted ? resolve() : reject(err)));
      });
    }),
  );
}
