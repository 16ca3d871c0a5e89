/**
 * Entry of the supervisor process: `node main.js --root ROOT --project NAME`. Started detached by
 * the CLI (see spawn.ts), its output goes to the project's supervisor.log. SIGTERM and SIGINT stop
 * it (the containers stay; `stack down` removes them).
 */
import { serveSupervisor } from './server.js';

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

try {
  const server = await serveSupervisor({ root: arg('root'), project: arg('project'), log });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void server.close());
  await server.closed;
  process.exit(0);
} catch (err) {
  log(`supervisor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
