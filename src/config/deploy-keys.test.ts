/** Swarm's `deploy:` keys: read in long form, bad values named where written, `stack config` loads back the same. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack, serializeStack } from './index.js';
import { stringify } from 'yaml';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function load(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-deploy-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env: {} });
}

const app = (deploy: string) => `name: p\nservices:\n  app:\n    image: a\n    deploy: ${deploy}\n`;

describe('deploy keys for Swarm', () => {
  it('reads them in long form (durations in ms, Swarm defaults filled in)', async () => {
    const stack = await load(
      app('{mode: global, labels: [team=a], endpoint_mode: dnsrr, placement: {constraints: ["node.role == worker"], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 2}, restart_policy: {delay: 5s, window: 1m}, update_config: {delay: 10s, failure_action: rollback, max_failure_ratio: "0.25"}}'),
    );
    expect(stack.services.app!.deploy).toEqual({
      mode: 'global',
      labels: { team: 'a' },
      endpoint_mode: 'dnsrr',
      placement: { constraints: ['node.role == worker'], preferences: ['node.labels.zone'], max_replicas_per_node: 2 },
      restart_policy: { condition: 'any', delay: 5000, window: 60000 },
      update_config: { parallelism: 1, delay: 10000, monitor: 0, max_failure_ratio: 0.25, failure_action: 'rollback' },
    });
  });

  it('leaves the model without them when deploy: has only replicas and resources', async () => {
    const stack = await load(app('{replicas: 2, resources: {limits: {memory: 1m}}}'));
    expect(stack.services.app!.deploy).toBeUndefined();
    expect(stack.services.app!.replicas).toBe(2);
  });

  it.each([
    ['{update_config: {max_failure_ratio: 2}}', 'services.app.deploy.update_config.max_failure_ratio: expected a fraction from 0 to 1'],
    ['{rollback_config: {delay: soon}}', 'services.app.deploy.rollback_config.delay: expected a duration'],
    ['{restart_policy: {window: 5}}', 'services.app.deploy.restart_policy.window'],
    ['{endpoint_mode: round-robin}', 'services.app.deploy.endpoint_mode'],
    ['{placement: {constraint: ["x"]}}', 'services.app.deploy.placement'],
  ])('%s is refused where it is written', async (deploy, expected) => {
    const err = await load(app(deploy)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^stack\.yaml:5:/);
    expect((err as ConfigError).message).toContain(expected);
  });

  it('`stack config` writes them back so they load to the same model, beside the reservations', async () => {
    const stack = await load(
      `name: p\nservices:\n  app:\n    image: a\n    ports: [{target: 80, published: 8080, mode: host}]\n    deploy: {mode: replicated-job, resources: {reservations: {memory: 1m}}, placement: {max_replicas_per_node: 1}, restart_policy: {condition: on-failure, max_attempts: 3, delay: 1s}, rollback_config: {parallelism: 0, order: start-first}}\n`,
    );
    const doc = serializeStack(stack) as { services: { app: { deploy: unknown } } };
    expect(doc.services.app.deploy).toMatchObject({ mode: 'replicated-job', resources: { reservations: { memory: 1048576 } }, placement: { max_replicas_per_node: 1 } });
    const again = await load(stringify(doc));
    expect(again.services.app!.deploy).toEqual(stack.services.app!.deploy);
    expect(again.services.app!.ports).toEqual(stack.services.app!.ports);
    expect(again.services.app!.reservations).toEqual(stack.services.app!.reservations);
  });
});
