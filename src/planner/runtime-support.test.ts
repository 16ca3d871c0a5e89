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
});
