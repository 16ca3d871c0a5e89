/** The rows of SUPPORT_RULES for secrets, configs, logging and the other keys of issue 12's area, through loadStack. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { loadStack } from '../config/index.js';
import { runtimeRefusals } from './runtime-support.js';
import { foreignPlatform } from './files-logging-support.js';

async function refusals(text: string, runtime: 'embedded' | 'docker', env: Record<string, string> = {}): Promise<string[]> {
  const dir = await tempDir('hafen-rules-');
  await writeFile(path.join(dir, 'stack.yaml'), text);
  const stack = await loadStack({ cwd: dir, env });
  return runtimeRefusals(stack, runtime).map((i) => `${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
}

describe('support rules: secrets, configs, logging, runtime, platform, reservations', () => {
  it('accepts what both runtimes honour', async () => {
    const text = `
secrets: {s: {environment: S}}
configs: {c: {content: x}}
services:
  web:
    image: host
    secrets: [s]
    configs: [c]
    logging: {driver: json-file, options: {max-size: 1m, max-file: "4"}}
    deploy: {resources: {reservations: {memory: 64m, cpus: 1}}}
`;
    expect(await refusals(text, 'embedded', { S: 'v' })).toEqual([]);
    expect(await refusals(text, 'docker', { S: 'v' })).toEqual([]);
  });

  it('refuses external secrets and unset variables on both runtimes, naming the variable and never a value', async () => {
    const text = 'secrets: {a: {external: true}, b: {environment: NOT_SET}}\nservices:\n  web: {image: host, secrets: [a]}\n  api: {image: host, secrets: [b]}\n';
    for (const runtime of ['embedded', 'docker'] as const) {
      expect(await refusals(text, runtime)).toEqual([
        expect.stringMatching(/^3:\d+ services\.web\.secrets: secret "a" is external: .*; give it file: or environment:/),
        expect.stringMatching(/^4:\d+ services\.api\.secrets: secret "b" reads the environment variable NOT_SET, which is not set; /),
      ]);
    }
  });

  it('embedded: refuses other log drivers and options, the OCI runtime, devices and a foreign platform; Docker takes them', async () => {
    const text = `
services:
  a: {image: host, logging: {driver: syslog}}
  b: {image: host, logging: {options: {compress: "true"}}}
  c: {image: host, runtime: runsc}
  d: {image: host, deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}}
  e: {image: host, logging: {options: {max-file: "0"}}}
`;
    expect(await refusals(text, 'embedded')).toEqual([
      expect.stringMatching(/^3:\d+ services\.a\.logging: logging driver "syslog" is not available on the embedded runtime/),
      expect.stringMatching(/^4:\d+ services\.b\.logging: logging option "compress" of json-file is not honoured/),
      expect.stringMatching(/^5:\d+ services\.c\.runtime: the OCI runtime "runsc" is Docker's choice/),
      expect.stringMatching(/^6:\d+ services\.d\.deploy\.resources\.reservations\.devices: device requests/),
      expect.stringMatching(/^7:\d+ services\.e\.logging: logging max-file "0" must be a whole number/),
    ]);
    expect(await refusals(text, 'docker')).toEqual([]);
  });

  it('docker: refuses a read-only service that would need a file copied in', async () => {
    const text = 'secrets: {f: {file: ./f}, e: {environment: E}}\nservices:\n  ok: {image: x, read_only: true, secrets: [f]}\n  no: {image: x, read_only: true, secrets: [e]}\n  mode: {image: x, read_only: true, secrets: [{source: f, mode: 0400}]}\n';
    expect(await refusals(text, 'docker', { E: 'v' })).toEqual([
      expect.stringMatching(/^4:\d+ services\.no\.read_only: a read-only container cannot be given a secret/),
      expect.stringMatching(/^5:\d+ services\.mode\.read_only: /),
    ]);
    expect(await refusals(text, 'embedded', { E: 'v' })).toEqual([]);
  });

  it('knows this machine\'s platform by its Docker name', () => {
    expect(foreignPlatform('linux/amd64', 'x64')).toBeUndefined();
    expect(foreignPlatform('linux/arm64/v8', 'arm64')).toBeUndefined();
    expect(foreignPlatform('linux', 'x64')).toBeUndefined();
    expect(foreignPlatform('linux/arm64', 'x64')).toMatch(/platform "linux\/arm64" is not this machine's \(linux\/amd64\)/);
    expect(foreignPlatform('windows/amd64', 'x64')).toMatch(/not this machine's/);
  });

  it('refuses refreshing pull policies on both runtimes, saying what to use', async () => {
    expect(await refusals('services:\n  web: {image: x, pull_policy: daily}\n', 'docker')).toEqual([
      expect.stringMatching(/^2:\d+ services\.web\.pull_policy: pulling again .* not supported yet; use pull_policy: always/),
    ]);
  });
});

describe('config hash of secrets and configs', () => {
  it('changes with a config\'s inline content, not with an environment value', async () => {
    const { configHash } = await import('./config-hash.js');
    const dir = await tempDir('hafen-hash-');
    const hashOf = async (content: string, value: string) => {
      await writeFile(path.join(dir, 'stack.yaml'), `configs: {c: {content: "${content}"}}\nsecrets: {s: {environment: S}}\nservices:\n  web: {image: host, configs: [c], secrets: [s]}\n`);
      const stack = await loadStack({ cwd: dir, env: { S: value } });
      return configHash(stack.services.web!, stack);
    };
    const base = await hashOf('a=1', 'one');
    expect(await hashOf('a=2', 'one')).not.toBe(base);
    expect(await hashOf('a=1', 'two')).toBe(base);
  });
});
