import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { loadStack } from '../config/index.js';
import { runtimeRefusals, type SupportRule } from './runtime-support.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

describe('runtimeRefusals', () => {
  it('names the service, the key where it is written, why and what to do, for the runtime asked only', async () => {
    const dir = await tempDir('hafen-support-');
    await writeFile(path.join(dir, 'stack.yaml'), 'name: t\nservices:\n  api:\n    image: host\n    privileged: true\n  db:\n    image: host\n');
    const stack = await loadStack({ cwd: dir, env: {} });
    const rules: SupportRule[] = [
      { runtime: 'docker', key: 'privileged', refuse: (s) => (s.privileged ? '"privileged: true" is refused here' : undefined), todo: 'remove it' },
    ];
    expect(runtimeRefusals(stack, 'embedded', undefined, rules)).toEqual([]);
    const [issue, ...rest] = runtimeRefusals(stack, 'docker', undefined, rules);
    expect(rest).toEqual([]);
    expect(issue).toEqual({ location: { file: 'stack.yaml', line: 5, col: 5, path: 'services.api.privileged' }, message: '"privileged: true" is refused here; remove it' });
  });

  it('refuses a fixed host port shared by replicas on the container runtimes, not on swarm (its ingress and host modes publish on every node)', async () => {
    const dir = await tempDir('hafen-support-');
    await writeFile(path.join(dir, 'stack.yaml'), 'name: t\nservices:\n  web:\n    image: busybox\n    replicas: 2\n    ports: ["8080:80"]\n    deploy: {endpoint_mode: dnsrr}\n');
    const stack = await loadStack({ cwd: dir, env: {} });
    for (const runtime of ['embedded', 'docker'] as const) {
      expect(runtimeRefusals(stack, runtime).map((i) => `${i.location.line}:${i.location.col} ${i.message}`)).toContain(
        '6:5 host port 8080 cannot be shared by 2 replicas; publish only the container port (each replica then gets a free host port), or use --runtime swarm',
      );
    }
    expect(runtimeRefusals(stack, 'swarm').filter((i) => i.message.includes('8080'))).toEqual([]);
  });
});
