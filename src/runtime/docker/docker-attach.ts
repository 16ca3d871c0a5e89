/** An attached start on a Docker engine (`stack run`): attached before it starts, as `docker run -it` is, so no output is missed. */
import type Docker from 'dockerode';
import type { ExitStatus } from '../runtime.js';
import { relayTerminal } from './attach-streams.js';
import { naming } from './docker-errors.js';

/**
 * Sizes the container's pty as soon as the engine takes it: its start can answer a second or more
 * after the command began (a busy engine), and an engine before API 1.42 has no size at create
 * (docker's own CLI retries the same way). Resolves after the first success, or once the start settled.
 */
async function firstResize(resize: (size: { h: number; w: number }) => Promise<unknown>, running: Promise<unknown>): Promise<void> {
  let settled = false;
  void running.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    const last = settled;
    const ok = await resize({ h: process.stdout.rows, w: process.stdout.columns }).then(
      () => true,
      () => false,
    );
    if (ok || last) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Attaches this process's stdio to the created container `name`, starts it with `start`, relays until it ends; its exit from `wait`. */
export async function startAttached(docker: Docker, name: string, start: () => Promise<unknown>, wait: () => Promise<ExitStatus>): Promise<ExitStatus> {
  const container = docker.getContainer(name);
  const resource = `container ${name}`;
  const inspect = await naming(resource, 'cannot attach', () => container.inspect());
  const tty = inspect.Config.Tty;
  const stream = (await naming(resource, 'cannot attach', () =>
    container.attach({ stream: true, stdin: inspect.Config.OpenStdin, stdout: true, stderr: true, hijack: true }),
  )) as NodeJS.ReadWriteStream & { destroy(): void };
  const running = start();
  const resize = (size: { h: number; w: number }): Promise<unknown> => container.resize(size);
  const relay = relayTerminal(stream, tty, resize, tty && process.stdout.isTTY ? firstResize(resize, running) : running);
  try {
    await running;
  } catch (err) {
    stream.destroy();
    await relay.catch(() => undefined);
    throw err;
  }
  await relay;
  return wait();
}
