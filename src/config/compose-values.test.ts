/** Values as Compose reads them, end to end through loadStack: text keys, exact integers, unset-variable warnings. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack, type LoadOptions } from './index.js';
import { interpolate } from './interpolate.js';
import { ValueShapes } from './text-values.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string, opts: LoadOptions = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-values-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env: {}, ...opts });
}

async function errors(yaml: string): Promise<string[]> {
  const err = await load(yaml).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.split('\n');
}

describe('text keys keep what Compose renders', () => {
  // Compose: `docker compose config` of the same file; compose-go decodes these keys with
  // fmt.Sprint (types/mapping.go, labels.go, hostList.go); see yaml-scalar.test.ts for every spelling.
  const file = `
services:
  api:
    image: host
    environment:
      BIG: 1234567890123456789
      UBIG: 12345678901234567890
      VERSION: 1.10
      OCTAL: 0440
      HEX: 0x1F
      UNDERSCORE: 1_000
      ON: true
      YES: yes
      INF: .inf
      MILLION: 1e6
      QUOTED: "1.10"
      EMPTY: ""
      UNSET: null
      FROM_ENV:
    labels:
      com.example.id: 1234567890123456789
      com.example.flag: TRUE
      com.example.none: null
    build:
      context: .
      args:
        BUILD_ID: 98765432109876543210
        DEBUG: false
    extra_hosts:
      db: 10.0.0.5
`;

  it('environment', async () => {
    const stack = await load(file, { env: { FROM_ENV: 'host value' } });
    expect(stack.services.api!.environment).toEqual({
      BIG: '1234567890123456789',
      UBIG: '12345678901234567890',
      VERSION: '1.1',
      OCTAL: '288',
      HEX: '31',
      UNDERSCORE: '1000',
      ON: 'true',
      YES: 'yes',
      INF: '+Inf',
      MILLION: '1e+06',
      QUOTED: '1.10',
      EMPTY: '',
      FROM_ENV: 'host value', // null: taken from the environment, left out when unset there (UNSET)
    });
  });

  it('labels (null is ""), build args, extra_hosts', async () => {
    const api = (await load(file)).services.api!;
    expect(api.labels).toEqual({ 'com.example.id': '1234567890123456789', 'com.example.flag': 'true', 'com.example.none': '' });
    expect(api.build!.args).toEqual({ BUILD_ID: '9.876543210987654e+19', DEBUG: 'false' }); // beyond uint64: a float to go-yaml
    expect(api.extra_hosts).toEqual({ db: '10.0.0.5' });
  });

  it('a substituted variable stays text in a text key, exactly', async () => {
    const stack = await load('services:\n  api:\n    image: host\n    environment:\n      A: ${BIG}\n      B: ${ONE}\n', { env: { BIG: '98765432109876543210', ONE: '1.0' } });
    expect(stack.services.api!.environment).toEqual({ A: '98765432109876543210', B: '1.0' });
  });
});

describe('numbers where a key wants a number', () => {
  it('an integer beyond 2^53 is an error at its position, not a rounded number', async () => {
    expect(await errors('services:\n  api:\n    image: host\n    replicas: 12345678901234567890\n')).toEqual([
      'stack.yaml:4:15 services.api.replicas: 12345678901234567890 is too large to be read exactly as a number (the largest is 9007199254740991); quote it if it is text',
    ]);
    expect((await errors('services:\n  api:\n    image: host\n    ports: [123456789012345678901]\n'))[0]).toMatch(/^stack\.yaml:4:13 services\.api\.ports\[0\]: 123456789012345678901 is too large/);
  });

  it('reads 010 as octal 8 and 1_0 as 10, as go-yaml does (YAML 1.2 would say 10 and "1_0")', async () => {
    expect((await load('services:\n  a: {image: host, replicas: 010}\n  b: {image: host, replicas: 1_0}\n')).services.a!.replicas).toBe(8);
    expect((await load('services:\n  b: {image: host, replicas: 1_0}\n')).services.b!.replicas).toBe(10);
  });

  it('keeps a big number in an x- extension as YAML reads it, without an error', async () => {
    const stack = await load('x-id: 12345678901234567890\nservices:\n  api: {image: host}\n');
    expect(stack.extensions['x-id']).toBe(12345678901234567890);
  });
});

describe('unset variables: Compose\'s warning, once per variable', () => {
  // compose-go template/template.go: logrus.Warnf("The %q variable is not set. Defaulting to a blank string.", name)
  // is logged for $NAME and ${NAME} only; the :-, -, :+, + forms apply their own rule and say nothing.
  it('names each unset variable once, in Compose\'s words', async () => {
    const warnings: string[] = [];
    const yaml = [
      'services:',
      '  api:',
      '    image: host',
      '    environment:',
      '      A: $FOO',
      '      B: ${FOO}',
      '      C: ${BAR}-x',
      '      D: ${DEF:-default}',
      '      E: ${DEF-default}',
      '      F: ${DEF:+alt}',
      '      G: ${DEF+alt}',
      '      H: ${DEF:-$INNER}',
      '      I: $$LITERAL',
      '      J: ${SET}',
      '',
    ].join('\n');
    const stack = await load(yaml, { env: { SET: 'v' }, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      'The "FOO" variable is not set. Defaulting to a blank string.',
      'The "BAR" variable is not set. Defaulting to a blank string.',
      'The "INNER" variable is not set. Defaulting to a blank string.',
    ]);
    expect(stack.services.api!.environment).toMatchObject({ A: '', B: '', C: '-x', D: 'default', E: 'default', F: '', G: '', H: '', I: '$LITERAL', J: 'v' });
  });

  it('a variable set to the empty string is set: no warning', () => {
    const unset: string[] = [];
    expect(interpolate('[$E][${E}]', (n) => (n === 'E' ? '' : undefined), (n) => unset.push(n))).toBe('[][]');
    expect(unset).toEqual([]);
  });
});

describe('ValueShapes: which values are text, by key path', () => {
  const shapes = new ValueShapes({ services: ['api', 'my.app', 'labels'], networks: ['front.net'] });
  it.each([
    ['services.api.environment.FOO', 'text'],
    ['services.api.environment[0]', 'text'],
    ['services.api.labels.com.example.x', 'text'],
    ['services.my.app.environment.FOO', 'text'], // a service name with a dot
    ['services.api.build.args.X', 'text'],
    ['services.api.deploy.labels.a', 'text'],
    ['services.api.networks.front.driver_opts.mtu', 'text'],
    ['services.api.extra_hosts[0]', 'text'],
    ['networks.front.net.labels.a', 'text'],
    ['volumes.data.driver_opts.o', 'text'],
    ['services.api.volumes[0].tmpfs.mode', 'file-mode'],
    ['services.api.secrets[1].mode', 'file-mode'],
    ['services.api.depends_on.labels.required', undefined], // a dependency on a service named "labels"
    ['services.labels.replicas', undefined], // a service named "labels"
    ['services.api.replicas', undefined],
    ['services.api.x-meta.environment.A', 'extension'],
    ['x-common.environment.A', 'extension'],
    ['name', undefined],
  ])('%s → %s', (path, shape) => expect(shapes.at(path)).toBe(shape));
});
