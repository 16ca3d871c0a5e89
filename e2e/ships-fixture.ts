/**
 * What the ships e2e files (issue 19) share: the dependent `app`, which fetches db's page by
 * DB_HOST/DB_PORT once at its start, and the check of what it saw then and sees now.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { CliResult } from './cli.js';

/** Service `app` on ship `ship`, gated on db healthy: logs `app got <db's page>` at its start, then sleeps. */
export function fetchingApp(ship: string): string[] {
  return [
    '  app:',
    '    image: host',
    `    ship: ${ship}`,
    `    command: ["sh", "-c", "echo \\"app got $$(busybox wget -qO- http://$$DB_HOST:$$DB_PORT/)\\"; exec sleep 600"]`,
    '    depends_on: {db: {condition: service_healthy}}',
  ];
}

/**
 * App's one request at its start (the gate held: it found db serving `hello`), then what app sees
 * in an exec: DB_HOST, DB_PORT (equal to DB_PORT_8080) and db's answer through them. `run` runs
 * the CLI on the stack file.
 */
export async function appReachedDb(run: (args: string[]) => CliResult, hello: string): Promise<{ host: string; port: string }> {
  let logs = run(['logs', 'app']);
  for (let i = 0; i < 40 && !logs.stdout.includes('app got'); i++) {
    await sleep(250);
    logs = run(['logs', 'app']);
  }
  expect(logs.stdout).toContain(`app got ${hello}`);
  const seen = run(['exec', 'app', 'sh', '-c', 'echo $DB_HOST $DB_PORT $DB_PORT_8080; busybox wget -qO- http://$DB_HOST:$DB_PORT/']);
  expect(seen.code, seen.stderr).toBe(0);
  const [host, port, port8080] = seen.stdout.split('\n')[0]!.split(' ');
  expect(port8080).toBe(port);
  expect(seen.stdout).toContain(hello);
  return { host: host!, port: port! };
}
