import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadStack, serializeStack } from './index.js';
import type { Stack } from './model.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Loads YAML text from a fresh folder. */
async function loadText(text: string): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-serialize-'));
  temps.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), text);
  return loadStack({ cwd: dir, env: {} });
}

/** What `stack config` prints. */
const print = (stack: Stack) => stringify(serializeStack(stack), { lineWidth: 0, aliasDuplicateObjects: false });
// ports_without_address says how the file was written (the printed one names every address).
const model = ({ source: _s, file: _f, files: _fs, dir: _d, ports_without_address: _p, ...rest }: Stack) => rest;

describe('serializeStack', () => {
  it('writes long forms: durations as text, sizes in bytes, no file, dir or source', async () => {
    const stack = await loadText(
      [
        'name: demo',
        'services:',
        '  web:',
        '    image: host',
        '    ports: ["80", "8080:81"]',
        '    resources: {memory: 256m}',
        '    stop_grace_period: 1m30s',
        '    healthcheck: {test: curl -f localhost}',
        '    depends_on: [db]',
        '  db:',
        '    image: host',
        '    ready: {tcp: 5432, interval: 500ms}',
        '    restart: on-failure:2',
      ].join('\n'),
    );
    expect(serializeStack(stack)).toEqual({
      name: 'demo',
      services: {
        web: {
          image: 'host',
          pull_policy: 'missing',
          networks: { default: {} },
          ports: [
            { target: 80, host_ip: '127.0.0.1', protocol: 'tcp' },
            { target: 81, published: 8080, host_ip: '127.0.0.1', protocol: 'tcp' },
          ],
          healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'], start_interval: '50ms' }, // the rest is the image's, or the default
          resources: { memory: 268435456 },
          restart: 'no',
          stop_grace_period: '1m30s',
          depends_on: { db: { condition: 'service_started' } },
          replicas: 1,
        },
        db: {
          image: 'host',
          pull_policy: 'missing',
          networks: { default: {} },
          ready: { tcp: 5432, interval: '500ms', timeout: '1s', start_interval: '50ms' },
          restart: 'on-failure:2',
          stop_grace_period: '10s',
          replicas: 1,
        },
      },
      networks: { default: {} },
    });
  });

  it('escapes $ so that the printed file interpolates back to the same values', async () => {
    const stack = await loadText('services:\n  api:\n    image: host\n    command: echo $$HOME costs $$5\n    environment: {RE: "^a$$"}\n');
    expect(stack.services.api!.command).toEqual(['echo', '$HOME', 'costs', '$5']);
    expect(serializeStack(stack)).toMatchObject({ services: { api: { command: ['echo', '$$HOME', 'costs', '$$5'], environment: { RE: '^a$$' } } } });
    const again = await loadText(print(stack));
    expect(model(again)).toEqual(model(stack));
  });

  it('prints stack.example.yaml as a file that loads to the same model and prints the same again', async () => {
    const stack = await loadStack({ cwd: repo, file: 'stack.example.yaml', env: {} });
    const first = print(stack);
    const again = await loadText(first);
    expect(model(again)).toEqual(model(stack));
    expect(print(again)).toBe(first);
  });
});
