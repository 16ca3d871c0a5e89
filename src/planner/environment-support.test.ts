/** Environment values beyond the kernel's execve limits: refused on both runtimes, naming the variable, never its value. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../config/index.js';
import { runtimeRefusals } from './runtime-support.js';
import { MAX_ARG_STRLEN, argumentSpace } from './environment-support.js';

async function refusals(text: string, runtime: 'embedded' | 'docker', env: Record<string, string> = {}): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hafen-env-rules-'));
  await writeFile(path.join(dir, 'stack.yaml'), text);
  const stack = await loadStack({ cwd: dir, env });
  return runtimeRefusals(stack, runtime).map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
}

const stackWith = (extra = ''): string => `services:\n  web:\n    image: host\n    environment: {BIG: "\${BIG}"}\n${extra}`;

describe('support rules: environment sizes', () => {
  it('takes a value up to 128 KiB with its name and NUL byte, on both runtimes', async () => {
    const value = 'v'.repeat(MAX_ARG_STRLEN - 'BIG='.length - 1);
    for (const runtime of ['embedded', 'docker'] as const) expect(await refusals(stackWith(), runtime, { BIG: value })).toEqual([]);
  });

  it('refuses one byte more, naming the service, the variable and the limit, never the value', async () => {
    const value = 'q'.repeat(MAX_ARG_STRLEN - 'BIG='.length);
    for (const runtime of ['embedded', 'docker'] as const) {
      const found = await refusals(stackWith(), runtime, { BIG: value });
      expect(found).toEqual([
        `4:5 services.web.environment: the variable BIG is ${MAX_ARG_STRLEN + 1} bytes with its name, more than the ${MAX_ARG_STRLEN} (128 KiB) Linux takes for one environment entry (MAX_ARG_STRLEN); pass large data as a file instead (a volume, configs: or secrets:)`,
      ]);
      expect(found.join('')).not.toContain('qqqq');
    }
  });

  it('refuses an environment larger in all than a quarter of the stack limit (ulimits.stack)', async () => {
    const vars = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`V${i}`, 'x'.repeat(100_000)]));
    const text = `services:\n  web:\n    image: host\n    environment: {${Object.keys(vars).map((k) => `${k}: "\${${k}}"`).join(', ')}}\n    ulimits: {stack: 4194304}\n`;
    const [found] = await refusals(text, 'docker', vars);
    expect(found).toMatch(/^4:5 services\.web\.environment: the environment \(20 variables\) and command take \d+ bytes, more than the 1048576 \(1024 KiB\) Linux gives .* with a stack limit of 4096 KiB; /);
    expect(found).not.toContain('xxxx');
  });

  it.each([
    [8 * 1024 * 1024, 2 * 1024 * 1024],
    [Infinity, 6 * 1024 * 1024],
    [64 * 1024, 128 * 1024],
  ])('gives a process with stack limit %d %d bytes of arguments and environment', (stack, space) => {
    expect(argumentSpace(stack)).toBe(space);
  });
});
