/**
 * Images from the local Docker engine: a user who has `busybox` or `postgres:16` in Docker expects
 * `image: busybox` to work without a registry. The engine's API gives the image as a `docker save`
 * archive (GET /images/get), which the docker-archive importer takes as it is. Only the engine's
 * unix socket is used (DOCKER_HOST=unix://… or /var/run/docker.sock): never a remote engine.
 */
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The local engine's socket, or undefined when there is none to ask. */
export function localDockerSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return undefined;
  const socket = host ? host.slice('unix://'.length) : DEFAULT_SOCKET;
  try {
    return fs.statSync(socket).isSocket() ? socket : undefined;
  } catch {
    return undefined;
  }
}

function get(socket: string, path: string, timeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path, timeout: timeoutMs, headers: { host: 'docker' } }, resolve);
    req.on('timeout', () => req.destroy(new Error(`the Docker engine at ${socket} did not answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Whether the engine has `ref` (by name or ID); false when it cannot be asked. */
export async function dockerDaemonHasImage(ref: string, socket: string): Promise<boolean> {
  try {
    const res = await get(socket, `/images/${encodeURIComponent(ref)}/json`, 2000);
    res.resume();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** Writes `ref` as the engine's `docker save` archive to `file`. */
export async function saveFromDockerDaemon(ref: string, socket: string, file: string): Promise<void> {
  const res = await get(socket, `/images/get?names=${encodeURIComponent(ref)}`, 30_000);
  if (res.statusCode !== 200) {
    let body = '';
    for await (const chunk of res) body += String(chunk);
    throw new Error(`the Docker engine refused to export ${ref}: HTTP ${res.statusCode} ${body.trim()}`);
  }
  await pipeline(res, fs.createWriteStream(file, { mode: 0o600 }));
}
