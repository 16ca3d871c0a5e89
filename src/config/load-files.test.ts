/** Loading several files: override files, -f lists, COMPOSE_FILE, env files, stdin, extends, include, !reset/!override. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type StackError } from '../errors.js';
import { loadStack, type LoadOptions } from './index.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/compose-files');
const load = (c: string, opts: LoadOptions = {}) => loadStack({ cwd: path.join(fixtures, c), env: {}, ...opts });
const failure = (c: string, opts: LoadOptions = {}) => load(c, opts).then(() => '', (err: StackError) => err.message);

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
/** A folder with these files. */
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-files-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('override files', () => {
  it('reads compose.override.yaml beside compose.yaml and merges it', async () => {
    const stack = await load('override');
    expect(stack.files.map((f) => path.basename(f))).toEqual(['compose.yaml', 'compose.override.yaml']);
    expect(stack.file).toBe(path.join(fixtures, 'override/compose.yaml'));
    expect(stack.services.web!.command).toEqual(['httpd', '-f', '-v']);
    expect(stack.services.web!.environment).toEqual({ MODE: 'dev', KEEP: '1' });
    expect(stack.services.web!.ports.map((p) => `${p.published}:${p.target}`)).toEqual(['8080:80', '9229:9229']);
    expect(Object.keys(stack.services)).toEqual(['web', 'debug']);
  });

  it('takes no override file when -f names the files', async () => {
    const stack = await load('override', { file: 'compose.yaml' });
    expect(stack.files).toHaveLength(1);
    expect(stack.services.web!.command).toEqual(['httpd', '-f']);
  });

  it('takes the first override name Compose would (compose.override.yml before docker-compose.override.yml)', async () => {
    const dir = folder({
      'docker-compose.yml': 'services:\n  a: {image: x}\n',
      'docker-compose.override.yml': 'services:\n  a: {image: from-docker-compose}\n',
      'compose.override.yml': 'services:\n  a: {image: from-compose}\n',
    });
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(stack.services.a!.image).toBe('from-compose');
  });

  it('looks in the folders above when the current one has no stack file, as Compose v2 does', async () => {
    const dir = folder({ 'compose.yaml': 'services:\n  a: {image: "x:${T}", volumes: ["./d:/d"]}\n', 'compose.override.yml': 'services:\n  a: {user: me}\n', '.env': 'T=up\n', 'sub/deeper/.keep': '' });
    const stack = await loadStack({ cwd: path.join(dir, 'sub/deeper'), env: {} });
    expect(stack.files).toEqual([path.join(dir, 'compose.yaml'), path.join(dir, 'compose.override.yml')]);
    expect(stack.dir).toBe(dir);
    expect(stack.name).toBe(path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, ''));
    expect(stack.services.a!.volumes[0]).toMatchObject({ source: path.join(dir, 'd') });
    expect(stack.services.a!.image).toBe('x:up');
  });
});

describe('-f a -f b', () => {
  it('merges in order: environment by name, volumes by target, depends_on by service, labels list and mapping', async () => {
    const stack = await load('two-files', { file: ['base.yaml', 'prod.yaml'] });
    const api = stack.services.api!;
    expect(api.environment).toEqual({ A: '1', B: '3' });
    expect(api.volumes.map((v) => `${v.type}:${'source' in v ? v.source : ''}:${v.target}`)).toEqual([
      'volume:other:/data',
      `bind:${path.join(fixtures, 'two-files/conf')}:/conf`,
    ]);
    expect(api.depends_on.db!.condition).toBe('service_healthy');
    expect(api.labels).toEqual({ tier: 'back', owner: 'ops' });
    expect(stack.services.db!.healthcheck?.test).toEqual(['CMD', 'true']);
    expect(Object.keys(stack.volumes)).toEqual(['data', 'other']);
  });

  it('names the file, line and column of a problem in the override file', async () => {
    const err = await load('error-in-override').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split('\n')).toEqual([
      'compose.override.yaml:3:14 services.web.restart: expected a restart policy: "no", "always", "unless-stopped" or "on-failure[:N]", got "sometimes"',
      'compose.override.yaml:4:24 services.web.stop_grace_period: expected a duration like 1m30s, 500ms, 2h or 1.5s, got "soon"',
    ]);
  });

  it('points errors found after loading (references) into the file that wrote the key', async () => {
    const dir = folder({ 'a.yaml': 'services:\n  web: {image: x}\n', 'sub/b.yaml': 'services:\n  web:\n    depends_on: [nope]\n' });
    const message = await loadStack({ cwd: dir, env: {}, file: ['a.yaml', 'sub/b.yaml'] }).then(() => '', (e: Error) => e.message);
    expect(message).toMatch(/^sub\/b\.yaml:3:18 services\.web\.depends_on\.nope: /);
  });

  it('resolves relative paths of every file against the first file\'s folder, as Compose does', async () => {
    const dir = folder({ 'a.yaml': 'services:\n  web: {image: x}\n', 'sub/b.yaml': 'services:\n  web:\n    volumes: ["./data:/data"]\n' });
    const stack = await loadStack({ cwd: dir, env: {}, file: ['a.yaml', 'sub/b.yaml'] });
    expect(stack.services.web!.volumes[0]).toMatchObject({ source: path.join(dir, 'data') });
    expect(stack.dir).toBe(dir);
  });

  it('reads - from standard input, named "-" in messages, with the working folder as project folder', async () => {
    const dir = folder({ 'extra.yaml': 'services:\n  web:\n    labels: {a: b}\n' });
    const stdin = async () => 'services:\n  web:\n    image: x\n    volumes: ["./d:/d"]\n';
    const stack = await loadStack({ cwd: dir, env: {}, file: ['-', 'extra.yaml'], stdin, project: 'p' });
    expect(stack.files).toEqual(['-', path.join(dir, 'extra.yaml')]);
    expect(stack.services.web!.labels).toEqual({ a: 'b' });
    const bad = async () => 'services:\n  web:\n    image: 1\n';
    const message = await loadStack({ cwd: dir, env: {}, file: '-', stdin: bad, project: 'p' }).then(() => '', (e: Error) => e.message);
    expect(message).toBe('-:3:12 services.web.image: expected a string, got the number 1');
  });
});

describe('environment and names', () => {
  it('reads .env, or the --env-file files instead', async () => {
    expect((await load('env-files')).services.web!.image).toBe('busybox:from-dotenv');
    expect((await load('env-files', { envFiles: ['other.env'] })).services.web!.image).toBe('busybox:from-other');
    expect(await failure('env-files', { envFiles: ['missing.env'] })).toBe('--env-file missing.env: no such file');
  });

  it('takes the files from COMPOSE_FILE (with COMPOSE_PATH_SEPARATOR) when no -f is given', async () => {
    const stack = await load('env-files', { env: { COMPOSE_FILE: 'compose.yaml;extra.yaml', COMPOSE_PATH_SEPARATOR: ';' } });
    expect(stack.services.web!.labels).toEqual({ extra: 'yes' });
    expect((await load('env-files', { env: { COMPOSE_FILE: 'compose.yaml:extra.yaml' } })).files).toHaveLength(2);
  });

  it('reads COMPOSE_FILE from .env too (paths relative to the working folder, as compose-go), and --project-directory moves where .env and relative paths are found', async () => {
    const dir = folder({
      'app/.env': 'COMPOSE_FILE=app/one.yaml:app/two.yaml\nTAG=t1\n',
      'app/one.yaml': 'services:\n  web:\n    image: x:${TAG}\n    volumes: ["./d:/d"]\n',
      'app/two.yaml': 'services:\n  web:\n    user: me\n',
    });
    const stack = await loadStack({ cwd: dir, env: {}, projectDirectory: 'app', project: 'p' });
    expect(stack.files).toEqual([path.join(dir, 'app/one.yaml'), path.join(dir, 'app/two.yaml')]);
    expect(stack.services.web).toMatchObject({ image: 'x:t1', user: 'me' });
    expect(stack.dir).toBe(path.join(dir, 'app'));
    expect(stack.services.web!.volumes[0]).toMatchObject({ source: path.join(dir, 'app/d') });
  });

  it('names the project -p, else COMPOSE_PROJECT_NAME (environment before .env), else name:, else the folder', async () => {
    expect((await load('env-files', { project: 'given' })).name).toBe('given');
    const named = folder({ 'compose.yaml': 'services:\n  a: {image: x, labels: {p: "${COMPOSE_PROJECT_NAME}"}}\n' });
    expect((await loadStack({ cwd: named, env: {}, project: 'given' })).services.a!.labels).toEqual({ p: 'given' });
    expect((await load('env-files', { env: { COMPOSE_PROJECT_NAME: 'from-env' } })).name).toBe('from-env');
    expect((await load('env-files')).name).toBe('from-dotenv');
    expect((await load('override', { env: { COMPOSE_PROJECT_NAME: 'from-env' } })).name).toBe('from-env');
    expect((await load('override')).name).toBe('override-case');
    expect(await failure('override', { env: { COMPOSE_PROJECT_NAME: 'Bad Name' } })).toMatch(/^COMPOSE_PROJECT_NAME="Bad Name": not a valid project name/);
  });

  it('interpolates ${COMPOSE_PROJECT_NAME} to the project name however it was named, as compose-go does', async () => {
    const labels = 'labels: {p: "${COMPOSE_PROJECT_NAME}", q: "${COMPOSE_PROJECT_NAME:-unset}", r: "${ELSE}"}';
    const byName = folder({ 'compose.yaml': `name: from-file\nservices:\n  a: {image: x, ${labels}}\n` });
    const warnings: string[] = [];
    const stack = await loadStack({ cwd: byName, env: {}, onWarning: (w) => warnings.push(w) });
    expect(stack.services.a!.labels).toEqual({ p: 'from-file', q: 'from-file', r: '' });
    // Only the variable that really is unset is warned of, once.
    expect(warnings).toEqual(['The "ELSE" variable is not set. Defaulting to a blank string.']);
    const byFolder = folder({ 'compose.yaml': `services:\n  a: {image: x, ${labels}}\n` });
    expect((await loadStack({ cwd: byFolder, env: {} })).services.a!.labels).toMatchObject({ p: path.basename(byFolder).toLowerCase() });
    expect((await loadStack({ cwd: byFolder, env: { COMPOSE_PROJECT_NAME: 'env-name' } })).services.a!.labels).toMatchObject({ p: 'env-name' });
  });
});

describe('several YAML documents in one file', () => {
  it('merges them in order as compose-go does, each error at its own line', async () => {
    const dir = folder({ 'compose.yaml': 'services:\n  a: {image: x}\n---\nservices:\n  a: {user: me}\n  b: {image: y, stop_grace_period: soon}\n' });
    const err = await loadStack({ cwd: dir, env: {} }).then(() => '', (e: StackError) => e.message);
    expect(err).toBe('compose.yaml:6:36 services.b.stop_grace_period: expected a duration like 1m30s, 500ms, 2h or 1.5s, got "soon"');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  a: {image: x}\n---\nservices:\n  a: {user: me}\n');
    expect((await loadStack({ cwd: dir, env: {} })).services.a).toMatchObject({ image: 'x', user: 'me' });
  });
});

describe('extends', () => {
  it('merges a service over the one it extends, in chains, and from another file with paths of that file\'s folder', async () => {
    const stack = await load('extends');
    expect(stack.services.cli).toMatchObject({ image: 'busybox', user: 'root', working_dir: '/srv', environment: { TZ: 'utc', PORT: '8080' } });
    const web = stack.services.web!;
    const common = path.join(fixtures, 'extends/common');
    expect(web.build?.context).toBe(path.join(common, 'app'));
    expect(web.env_file).toEqual([path.join(common, 'web.env')]);
    expect(web.environment).toEqual({ GREETING: 'hello' });
    expect(web.volumes[0]).toMatchObject({ source: path.join(common, 'static'), target: '/static' });
    expect(web.ports.map((p) => p.published)).toEqual([8080, 8081]);
  });

  it('follows a chain across files, each file\'s paths against its own folder', async () => {
    const dir = folder({
      'compose.yaml': 'services:\n  web:\n    extends: {file: lib/mid.yaml, service: mid}\n',
      'lib/mid.yaml': 'services:\n  mid:\n    extends: {file: ../base/base.yaml, service: root}\n    volumes: ["./mid:/mid"]\n',
      'base/base.yaml': 'services:\n  root:\n    image: x\n    volumes: ["./root:/root"]\n    depends_on: [db]\n  db: {image: y}\n',
    });
    const message = await loadStack({ cwd: dir, env: {} }).then(() => '', (e: Error) => e.message);
    // Compose v2 inherits depends_on too; the db it names is not imported, so it is missing here.
    expect(message).toMatch(/^base\/base\.yaml:5:18 services\.web\.depends_on\.db: /);
    const fixed = folder({
      'compose.yaml': 'services:\n  web:\n    extends: {file: lib/mid.yaml, service: mid}\n  db: {image: y}\n',
      'lib/mid.yaml': 'services:\n  mid:\n    extends: {file: ../base/base.yaml, service: root}\n    volumes: ["./mid:/mid"]\n',
      'base/base.yaml': 'services:\n  root:\n    image: x\n    volumes: ["./root:/root"]\n    depends_on: [db]\n',
    });
    const web = (await loadStack({ cwd: fixed, env: {} })).services.web!;
    expect(web.volumes.map((v) => ('source' in v ? v.source : ''))).toEqual([path.join(fixed, 'base/root'), path.join(fixed, 'lib/mid')]);
    expect(Object.keys(web.depends_on)).toEqual(['db']);
  });

  it('names a bad key inherited through extends by its file, position and path as written there', async () => {
    const dir = folder({
      'compose.yaml': 'services:\n  base:\n    image: x\n    stop_grace_period: soon\n  app:\n    extends: base\n    user: me\n',
    });
    const err = await loadStack({ cwd: dir, env: {} }).then(() => '', (e: StackError) => e.message);
    // Both services carry the bad value; both point at the one place it is written.
    expect(err.split('\n')).toEqual(['compose.yaml:4:24 services.base.stop_grace_period: expected a duration like 1m30s, 500ms, 2h or 1.5s, got "soon"']);
  });

  it('names a cycle by its chain', async () => {
    expect(await failure('extends-cycle')).toBe('compose.yaml:4:14 services.a.extends: extends cycle: a -> b -> c -> a');
  });

  it('says which service or file is missing, where extends names it', async () => {
    const dir = folder({ 'compose.yaml': 'services:\n  a:\n    extends: {service: nope}\n  b:\n    extends: {file: gone.yaml, service: x}\n' });
    expect((await loadStack({ cwd: dir, env: {} }).then(() => '', (e: Error) => e.message)).split('\n')).toEqual([
      'compose.yaml:3:24 services.a.extends: extends names service "nope", which is not defined',
      `compose.yaml:5:21 services.b.extends.file: extends file "gone.yaml" does not exist (${path.join(dir, 'gone.yaml')})`,
    ]);
  });

  it('lets !reset drop what the base service has', async () => {
    const dir = folder({ 'compose.yaml': 'services:\n  base: {image: x, ports: ["80:80"], user: root}\n  web:\n    extends: base\n    ports: !reset []\n' });
    const stack = await loadStack({ cwd: dir, env: {} });
    expect(stack.services.web).toMatchObject({ image: 'x', user: 'root', ports: [] });
  });
});

describe('include', () => {
  it('adds the included services and networks, each interpolated with its own .env and paths of its own folder', async () => {
    const stack = await load('include');
    expect(Object.keys(stack.services).sort()).toEqual(['cache', 'db', 'web']);
    expect(stack.services.cache!.image).toBe('busybox:cache');
    expect(stack.services.cache!.environment).toEqual({ LOCAL: 'yes' }); // the including file's own definition merges over
    expect(stack.services.cache!.volumes[0]).toMatchObject({ source: path.join(fixtures, 'include/sub/cache-data') });
    expect(stack.services.db!.image).toBe('busybox:db');
    expect(stack.networks['cache-net']).toBeDefined();
  });

  it('the including project\'s environment wins over the included .env', async () => {
    const stack = await load('include', { env: { CACHE_IMAGE: 'mine' } });
    expect(stack.services.cache!.image).toBe('mine');
  });

  it('names a cycle by its chain, in the file that closes it', async () => {
    expect(await failure('include-cycle')).toBe('loop.yaml:2:5 include[0]: include cycle: compose.yaml -> loop.yaml -> compose.yaml');
  });

  it('refuses two included files that define one service differently', async () => {
    const dir = folder({
      'compose.yaml': 'include: [a.yaml, b.yaml]\nservices: {}\n',
      'a.yaml': 'services:\n  x: {image: a}\n',
      'b.yaml': 'services:\n  x: {image: b}\n',
    });
    expect(await loadStack({ cwd: dir, env: {} }).then(() => '', (e: Error) => e.message)).toBe(
      'b.yaml:2:3 services.x: services.x is defined by both a.yaml and b.yaml, differently; define it in one of them, or in the including file',
    );
  });

  it('reports a missing included file where it is named', async () => {
    const dir = folder({ 'compose.yaml': 'include:\n  - path: nope.yaml\nservices: {}\n' });
    expect(await loadStack({ cwd: dir, env: {} }).then(() => '', (e: Error) => e.message)).toBe('compose.yaml:2:11 include[0]: included file "nope.yaml" does not exist');
  });
});

describe('!reset and !override', () => {
  it('removes and replaces values of earlier files', async () => {
    const web = (await load('reset')).services.web!;
    expect(web.ports.map((p) => `${p.published}:${p.target}`)).toEqual(['9090:90']);
    expect(web.environment).toEqual({ B: '2' });
    expect(web.command).toBeUndefined();
  });
});
