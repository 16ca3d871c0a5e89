/** Secrets, configs and the service keys of service-extras.ts, loaded from stack text as a user writes them. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import util from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { ConfigError } from '../errors.js';
import { containerFiles } from '../executor/container-files.js';
import { parseFileMode } from './file-objects.js';
import { pullPolicyOf } from './service-extras.js';
import { loadStack } from './index.js';
import { Sensitive } from './model.js';
import { serializeStack } from './serialize.js';

async function load(text: string, env: Record<string, string> = {}) {
  const dir = await tempDir('hafen-secrets-');
  await writeFile(path.join(dir, 'stack.yaml'), text);
  return { stack: await loadStack({ cwd: dir, env }), dir };
}

async function issues(text: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await load(text, env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
  }
}

const SECRETS = `
secrets:
  db_password: {file: ./pw.txt}
  api_key: {environment: API_KEY}
  ext: {external: true}
configs:
  app: {content: "a=1"}
  conf: {file: conf/app.conf, name: app-conf}
services:
  web:
    image: host
    secrets:
      - db_password
      - {source: api_key, target: key, uid: "1000", gid: 1001, mode: 0400}
      - {source: ext, target: /etc/ext}
    configs: [app, {source: conf, target: etc/app.conf, mode: "0440"}]
`;

describe('secrets and configs', () => {
  it('expands short forms, resolves targets as Compose does, reads environment data into a Sensitive', async () => {
    const { stack, dir } = await load(SECRETS, { API_KEY: 'the-key' });
    expect(stack.services.web!.secrets).toEqual([
      { source: 'db_password', target: '/run/secrets/db_password' },
      { source: 'api_key', target: '/run/secrets/key', uid: 1000, gid: 1001, mode: 0o400 },
      { source: 'ext', target: '/etc/ext' },
    ]);
    expect(stack.services.web!.configs).toEqual([
      { source: 'app', target: '/app' },
      { source: 'conf', target: '/etc/app.conf', mode: 0o440 },
    ]);
    expect(stack.secrets.db_password).toEqual({ name: 'db_password', external: false, file: path.join(dir, 'pw.txt'), labels: {} });
    expect(stack.secrets.ext).toMatchObject({ name: 'ext', external: true });
    expect(stack.configs.conf).toMatchObject({ name: 'app-conf', file: path.join(dir, 'conf/app.conf') });
    const value = stack.secrets.api_key!.value!;
    expect(value.reveal()).toBe('the-key');
    // The data never prints: not as JSON, text or inspect, and a clone drops it.
    expect(JSON.stringify(stack.secrets)).not.toContain('the-key');
    expect(util.inspect(stack.secrets, { depth: 5 })).not.toContain('the-key');
    expect(`${value}`).toBe('[hidden]');
    expect(JSON.stringify(structuredClone(value))).not.toContain('the-key');
  });

  it('`stack config` prints the variable, never its value, and loads back to the same references', async () => {
    const { stack } = await load(SECRETS, { API_KEY: 'the-key' });
    const doc = serializeStack(stack) as { secrets: Record<string, unknown>; services: { web: { secrets: unknown[]; configs: unknown[] } } };
    expect(JSON.stringify(doc)).not.toContain('the-key');
    expect(doc.secrets.api_key).toEqual({ name: 'api_key', environment: 'API_KEY' });
    expect(doc.services.web.secrets[1]).toEqual({ source: 'api_key', target: '/run/secrets/key', uid: 1000, gid: 1001, mode: '0400' });
    const { stringify } = await import('yaml');
    const again = await load(stringify(doc), { API_KEY: 'the-key' });
    expect(again.stack.services.web!.secrets).toEqual(stack.services.web!.secrets);
    expect(again.stack.services.web!.configs).toEqual(stack.services.web!.configs);
  });

  it('gives the runtime files: host files by path, environment and content data as Sensitive', async () => {
    const { stack, dir } = await load(SECRETS.replace('      - {source: ext, target: /etc/ext}\n', ''), { API_KEY: 'k' });
    const files = containerFiles(stack, stack.services.web!);
    expect(files.map((f) => [f.what, f.target, f.source.kind])).toEqual([
      ['secret db_password', '/run/secrets/db_password', 'file'],
      ['secret api_key', '/run/secrets/key', 'data'],
      ['config app', '/app', 'data'],
      ['config conf', '/etc/app.conf', 'file'],
    ]);
    expect(files[0]!.source).toEqual({ kind: 'file', path: path.join(dir, 'pw.txt') });
    const data = files[2]!.source as { data: Sensitive };
    expect(data.data.reveal()).toBe('a=1');
  });

  it('reports undefined names, missing or double sources, bad ids and modes, with their positions', async () => {
    expect(
      await issues(`
secrets:
  a: {}
  b: {file: x, environment: Y}
configs:
  c: {external: true, content: z}
services:
  web:
    image: host
    secrets: [db, {source: b, uid: root, mode: 99999}]
    configs: [c, {source: c}]
`),
    ).toEqual([
      '3:6 secrets.a: needs one of file, environment (or external: true)',
      '4:29 secrets.b.environment: give one of file and environment, not both',
      '6:32 configs.c.content: an external config has no content: remove one of external and content',
      '10:15 services.web.secrets[0]: no secret named "db" (did you mean "b"?)',
      '10:36 services.web.secrets[1].uid: expected a numeric user id like 1000, got "root"',
      '10:48 services.web.secrets[1].mode: expected permission bits in octal digits like 0400 or 0440, got 99999',
      '11:18 services.web.configs[1]: /c is already the target of config "c"',
    ]);
  });

  it('refuses content for a secret (Compose: configs only)', async () => {
    expect((await issues('secrets:\n  s: {content: x}\nservices:\n  web: {image: host, secrets: [s]}\n'))[0]).toMatch(/^2:\d+ secrets\.s.*content/);
  });
});

describe('logging, annotations, runtime, pull_policy, reservations, deploy.mode', () => {
  it('normalizes them and prints them back', async () => {
    const { stack } = await load(`
services:
  web:
    image: host
    logging: {driver: local, options: {max-size: 10m, max-file: 3}}
    annotations: [com.example.a=1, com.example.flag]
    labels: {enabled: true, n: 1}
    runtime: runsc
    pull_policy: every_1d12h
    platform: linux/amd64
    deploy:
      mode: global
      placement: {constraints: ["node.role==manager"]}
      update_config: {parallelism: 2}
      labels: {swarm: only}
      resources:
        limits: {memory: 128m}
        reservations: {memory: 64m, cpus: "0.5", devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}
`);
    const web = stack.services.web!;
    expect(web.logging).toEqual({ driver: 'local', options: { 'max-size': '10m', 'max-file': '3' } });
    expect(web.annotations).toEqual({ 'com.example.a': '1', 'com.example.flag': '' });
    expect(web.labels).toEqual({ enabled: 'true', n: '1' });
    expect(web.runtime).toBe('runsc');
    expect([web.pull_policy, web.pull_refresh_after]).toEqual(['refresh', 36 * 3_600_000]);
    expect(web.replicas).toBe(1);
    expect(web.resources.memory).toBe(128 * 1024 ** 2);
    expect(web.reservations).toEqual({ memory: 64 * 1024 ** 2, cpus: 0.5, devices: [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }] });
    const doc = serializeStack(stack) as { services: { web: Record<string, unknown> } };
    expect(doc.services.web).toMatchObject({ pull_policy: 'every_36h', runtime: 'runsc', logging: web.logging, deploy: { resources: { reservations: { memory: 64 * 1024 ** 2 } } } });
  });

  it('reads pull policies as compose-go does', () => {
    expect(pullPolicyOf('if_not_present')).toEqual({ policy: 'missing' });
    expect(pullPolicyOf('refresh')).toEqual({ policy: 'missing' });
    expect(pullPolicyOf('build')).toEqual({ policy: 'build' });
    expect(pullPolicyOf('daily')).toEqual({ policy: 'refresh', refreshAfter: 86_400_000 });
    expect(pullPolicyOf('weekly')).toEqual({ policy: 'refresh', refreshAfter: 7 * 86_400_000 });
    expect(pullPolicyOf('every_90m')).toEqual({ policy: 'refresh', refreshAfter: 5_400_000 });
    expect(parseFileMode(400)).toBe(400); // a plain 400 is decimal, as compose-go's FileMode takes the int (file-mode.ts)
    expect(parseFileMode('400')).toBe(0o400);
    expect(parseFileMode('0o640')).toBe(0o640);
    expect(parseFileMode(288)).toBe(0o440); // `0o440` or `0440`, as go-yaml reads them
    expect(parseFileMode('9')).toBeUndefined();
    expect(parseFileMode(0o7777 + 1)).toBeUndefined();
  });

  it('refuses a pull policy that is not one, and replicas with global mode', async () => {
    expect(await issues('services:\n  web: {image: host, pull_policy: sometimes}\n')).toEqual([expect.stringMatching(/^2:\d+ services\.web\.pull_policy: expected always, never, missing/)]);
    expect(await issues('services:\n  web:\n    image: host\n    deploy: {mode: global, replicas: 2}\n')).toEqual([
      '4:38 services.web.deploy.replicas: deploy.mode "global" runs one container (there is one node); remove replicas or the mode',
    ]);
  });

  it('takes mem_reservation as the older key for reservations.memory', async () => {
    expect((await load('services:\n  web: {image: host, mem_reservation: 32m}\n')).stack.services.web!.reservations).toEqual({ memory: 32 * 1024 ** 2 });
  });

  it('scale and deploy.replicas: 0 means no container; distinct values are refused, as compose-go does', async () => {
    expect((await load('services:\n  web: {image: host, scale: 0}\n')).stack.services.web!.replicas).toBe(0);
    expect((await load('services:\n  web: {image: host, deploy: {replicas: 3}}\n')).stack.services.web!.replicas).toBe(3);
    expect(await issues('services:\n  web: {image: host, scale: 2, deploy: {replicas: 3}}\n')).toEqual([expect.stringMatching(/disagrees/)]);
  });
});
