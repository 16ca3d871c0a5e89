import { describe, expect, it } from 'vitest';
import schema from '../../schemas/stack.schema.json' with { type: 'json' };
import { formatIssue } from '../errors.js';
import { parseYaml } from './parse-yaml.js';
import { sortIssues } from './source-map.js';
import { validateTree } from './validate.js';
import { toTree } from './yaml-tree.js';

/** Every schema issue of a YAML text, formatted and sorted as users see them. */
const check = (text: string) => {
  const tree = toTree(parseYaml(text, 'stack.yaml'));
  return sortIssues(validateTree(tree.value, tree.source)).map(formatIssue);
};

describe('schema errors as users see them', () => {
  it('accepts a good file', () => {
    expect(check('services:\n  api:\n    image: host\n    x-mine: {anything: [1]}\nx-top: 1\n')).toEqual([]);
  });

  it('points at the key for unknown keys, with a suggestion', () => {
    expect(check('services:\n  api:\n    imgae: host\n')).toEqual(['stack.yaml:3:5 services.api.imgae: unknown key "imgae" (did you mean "image"?)']);
  });

  it('lists the keys of a small mapping when nothing is close', () => {
    expect(check('services:\n  api:\n    image: host\n    depends_on: {db: {wait: true}}\n')).toEqual([
      'stack.yaml:4:23 services.api.depends_on.db.wait: unknown key "wait"; expected one of condition, restart, required (keys starting with x- are free for your own use)',
    ]);
  });

  it('names Compose keys hafen does not run', () => {
    expect(check('models: {}\nservices:\n  api:\n    image: host\n    develop: {}\n    build: {context: ., sbom: true}\n')).toEqual([
      'stack.yaml:1:1 models: "models" is a Compose key that hafen does not support',
      'stack.yaml:5:5 services.api.develop: "develop" is a Compose key that hafen does not support',
      'stack.yaml:6:25 services.api.build.sbom: "sbom" is a Compose key that hafen does not support',
    ]);
  });

  it('points at the value for bad values and says what was expected', () => {
    expect(
      check(
        [
          'services:',
          '  api:',
          '    image: 5',
          '    ports: 80',
          '    replicas: -1',
          '    restart: allways',
          '    tty: "yes"',
          '    pull_policy: sometimes',
          '    environment: {A: [1]}',
          '    stop_grace_period: 10',
          '    build: {}',
          '    network_mode: 3',
        ].join('\n'),
      ),
    ).toEqual([
      'stack.yaml:3:12 services.api.image: expected a string, got the number 5',
      'stack.yaml:4:12 services.api.ports: expected a list, got the number 80',
      'stack.yaml:5:15 services.api.replicas: must be at least 0, got -1',
      'stack.yaml:6:14 services.api.restart: expected a restart policy: "no", "always", "unless-stopped" or "on-failure[:N]", got "allways" (did you mean "always"?)',
      'stack.yaml:7:10 services.api.tty: expected true or false, got a string ("yes")',
      'stack.yaml:8:18 services.api.pull_policy: expected always, never, missing, if_not_present, build, refresh, daily, weekly or every_<duration> (e.g. every_12h), got "sometimes"',
      'stack.yaml:9:22 services.api.environment.A: expected a string, a number, true/false or nothing, got a list',
      'stack.yaml:10:24 services.api.stop_grace_period: expected a duration like 1m30s, 500ms, 2h or 1.5s, got the number 10',
      'stack.yaml:12:19 services.api.network_mode: expected a string, got the number 3',
    ]);
  });

  it('reports missing keys at the mapping that lacks them, after a misspelling of them', () => {
    expect(check('servics: {}\n')).toEqual([
      'stack.yaml:1:1 servics: unknown key "servics" (did you mean "services"?)',
      'stack.yaml:1:1 missing required key "services"',
    ]);
    expect(check('services:\n  api:\n    image: host\n    ports: [{published: 80}]\n')).toEqual([
      'stack.yaml:4:13 services.api.ports[0]: missing required key "target"',
    ]);
  });

  it('checks names of services, networks and the project', () => {
    expect(check('name: Shop\nservices:\n  my api: {image: host}\nnetworks:\n  -bad: {}\n')).toEqual([
      'stack.yaml:1:7 name: expected a project name: lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters, got "Shop"',
      'stack.yaml:3:3 services.my api: expected a service name: letters, digits, "_", "." and "-", starting with a letter or digit, at most 63 characters, got "my api"',
      'stack.yaml:5:3 networks.-bad: expected a name: letters, digits, "_", "." and "-", starting with a letter or digit, at most 128 characters, got "-bad"',
    ]);
  });

  it('limits project and service names to 63 characters, saying why, at the key', () => {
    const long = 'a'.repeat(64);
    expect(check(`networks:\n  ${'n'.repeat(129)}: {}\n  ${'m'.repeat(128)}: {}\nservices: {}\n`)).toEqual([
      expect.stringMatching(/^stack\.yaml:2:3 networks\.n{129}: the name is 129 characters long, more than 128: a network, volume, secret or config name becomes <project>_<name>/),
    ]);
    expect(check(`name: ${'p'.repeat(64)}\nservices:\n  ${long}: {image: host}\n  ${'b'.repeat(63)}: {image: host}\n`)).toEqual([
      expect.stringMatching(/^stack\.yaml:1:7 name: the name is 64 characters long, more than 63: the project name begins every container, network, volume and image name .*DNS label/),
      expect.stringMatching(new RegExp(`^stack\\.yaml:3:3 services\\.${long}: the name is 64 characters long, more than 63: a service name is the host name other containers find it by`)),
    ]);
  });

  it('shows list items by index', () => {
    expect(check('services:\n  api:\n    image: host\n    volumes: ["./a:/a", 5]\n')).toEqual([
      'stack.yaml:4:25 services.api.volumes[1]: expected a mount: "volume:/path", "./dir:/path:ro", "/path", or a mapping with type and target, got the number 5',
    ]);
  });
});

describe('the schema file', () => {
  type Schema = { description?: string; $ref?: string; properties?: Record<string, Schema>; definitions?: Record<string, Schema> } & Record<string, unknown>;
  const root = schema as Schema;
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(root.definitions![s.$ref.replace('#/definitions/', '')]!) : s);

  it('describes every field, for editors (yaml-language-server)', () => {
    const missing: string[] = [];
    const walk = (s: Schema, at: string, seen: Set<Schema>) => {
      if (seen.has(s)) return;
      seen.add(s);
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        const where = `${at}.${key}`;
        const target = resolve(prop);
        if (!prop.description && !target.description && !key.startsWith('x-')) missing.push(where);
        walk(target, where, seen);
        for (const sub of ['additionalProperties', 'items'] as const) {
          const child = target[sub];
          if (child && typeof child === 'object') walk(resolve(child as Schema), `${where}.*`, seen);
        }
      }
    };
    walk(root, '', new Set());
    walk(resolve({ $ref: '#/definitions/service' }), 'services.*', new Set());
    // Leaves of the small nested mappings (tmpfs size, ipam) may rely on their parent's description.
    expect(missing.filter((m) => !/\.(ipam\.(driver|config)|reservations\.(memory|cpus)|limits)$/.test(m))).toEqual([]);
  });

  it('is draft-07 with the x- extension rule and no other unknown keys at every level', () => {
    expect(root.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const name of ['service', 'healthcheck', 'ready', 'deploy', 'network', 'volume', 'ship', 'service_port', 'service_volume']) {
      const def = root.definitions![name]!;
      expect(def.additionalProperties, name).toBe(false);
      expect(def.patternProperties, name).toEqual({ '^x-': {} });
    }
  });
});
