/**
 * Entry of the supervisor process: `node main.js --root ROOT --project NAME`. Started detached by
 * the CLI (see spawn.ts), its output goes to the project's supervisor.log. SIGTERM and SIGINT stop
 * it (the containers stay; `stack down` removes them); it also exits by itself once nothing runs
 * and nobody is connected (idle-exit.ts). With `--standby` it loads, then waits for the order to
 * serve (standby-order.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { redirectOutput } from '../runtime/embedded/native.js';
import { projectDir } from '../runtime/embedded/state/index.js';
import { traceMark } from '../trace.js';
import { serveSupervisor } from './server.js';
import { READY_FD_ENV } from './spawn-flags.js';
import { warmUp } from './standby-warmup.js';
import { standbyChannel, takeEnvironment, type StandbyChannel } from './standby-order.js';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (!value) {
    process.stderr.write(`usage: main.js --root ROOT --project NAME (missing --${name})\n`);
    process.exit(2);
  }
  return value;
}

const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);

/** Tells the CLI that started it that it listens (spawn.ts), on the descriptor it named. */
function tellReady(): void {
  const fd = Number(process.env[READY_FD_ENV]);
  delete process.env[READY_FD_ENV];
  if (!Number.isInteger(fd) || fd < 3) return;
  try {
    fs.writeSync(fd, 'ready\n');
    fs.closeSync(fd);
  } catch {
    // The CLI went away meanwhile; it finds the socket next time.
  }
}

/** On standby: waits for the order to serve (exits when told nothing), then sends its output to the project's log. */
async function ordered(): Promise<StandbyChannel> {
  const channel = standbyChannel(Number(process.env[READY_FD_ENV]));
  const loaded = performance.now();
  void warmUp(); // while it waits
  const order = await channel.order;
  if (!order) process.exit(0);
  takeEnvironment(order.env);
  redirectOutput(path.join(projectDir(arg('root'), arg('project')), 'supervisor.log'));
  traceMark(`standby: loaded at +${loaded.toFixed(0)}ms, ordered`);
  return channel;
}

try {
  const standby = process.argv.includes('--standby') ? await ordered() : undefined;
  const server = await serveSupervisor({ root: arg('root'), project: arg('project'), log });
  traceMark('listening');
  if (standby) standby.tellReady();
  else tellReady();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void server.close());
  await server.closed;
  process.exit(0);
} catch (err) {
  log(`supervisor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
