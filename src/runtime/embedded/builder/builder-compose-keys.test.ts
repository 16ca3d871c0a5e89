/**
 * Real builds with Compose's build keys: dockerfile_inline, additional_contexts, network,
 * extra_hosts, secrets, tags (base image: Debian's busybox-static, imported into a fresh store),
 * and ssh (FROM host, for the host's ssh-add, talking to a real ssh-agent).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readTarEntries } from '../../../testing/layer-tar.js';
import { hostBlockDevice } from '../../../testing/host-devices.js';
import { detectCgroups } from '../cgroups/index.js';
import { importBusyboxImage } from '../../../testing/busybox-image.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { DockerfileError } from '../build/index.js';
import { openStore, type Store, type StoredImage } from '../store/index.js';
import { BuildError } from './build-error.js';
import { build, type BuildOptions } from './builder.js';
import { LauncherSandbox } from './launcher-sandbox.js';

/** Every entry of every layer of `image`: name → content. */
async function imageFiles(store: Store, image: StoredImage): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const layer of image.manifest.layers) {
    for (const { header, body } of await readTarEntries(store.blobs.open(layer.digest))) files.set(header.name, body);
  }
  return files;
}

/** Every byte the store holds: blobs (layer tars, configs, manifests), unpacked layers, cache entries, tags. */
function storeBytes(root: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else if (entry.isFile()) parts.push(fs.readFileSync(abs));
    }
  };
  walk(root);
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the build to fail');
}

describe.skipIf(unmet(requireRoot(), requireOverlay()))('builder with Compose build keys', () => {
  let root: string;
  let ctx: string;
  let extra: string;
  let store: Store;
  const sandbox = new LauncherSandbox();

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-keys-root-'));
    ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-keys-ctx-'));
    extra = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-keys-extra-'));
    store = openStore(root);
    await importBusyboxImage(store, 'busybox:test');
  });
  afterEach(() => {
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    // Every step's private folder (where secrets are written) is gone.
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
    for (const dir of [root, ctx, extra]) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (dockerfileText: string, opts: Partial<BuildOptions> = {}) => build(store, { contextDir: ctx, tag: 'app', sandbox, dockerfileText, ...opts });

  it('builds from dockerfile_inline text, with no Dockerfile in the context, and tags the extra names', async () => {
    const { image } = await run('FROM busybox:test\nRUN echo inline > /made\n', { extraTags: ['app:extra', 'other/app:2'] });
    expect((await imageFiles(store, image)).get('made')?.toString()).toBe('inline\n');
    expect(fs.existsSync(path.join(ctx, 'Dockerfile'))).toBe(false);
    for (const name of ['app', 'app:extra', 'other/app:2']) expect(store.images.resolve(name)).toBe(image.manifestDigest);
  });

  it('takes COPY --from=NAME from a folder context and FROM NAME from a docker-image:// context', async () => {
    fs.writeFileSync(path.join(extra, 'lib.txt'), 'from the named context\n');
    const { image } = await run('FROM base\nCOPY --from=lib lib.txt /opt/lib.txt\n', {
      namedContexts: { lib: extra, base: 'docker-image://busybox:test' },
    });
    const files = await imageFiles(store, image);
    expect(files.get('opt/lib.txt')?.toString()).toBe('from the named context\n');
    // The base is busybox: its layer is the image's first.
    expect(image.manifest.layers[0]!.digest).toBe(store.images.get('busybox:test')!.manifest.layers[0]!.digest);
  });

  it('refuses FROM a folder context, naming the line', async () => {
    const err = await failure(run('FROM scratch\nFROM lib\n', { namedContexts: { lib: extra } }));
    expect(err).toBeInstanceOf(DockerfileError);
    expect(err.message).toMatch(/^Dockerfile:2: FROM lib: the named context "lib" is a folder/);
  });

  it('mounts a build secret for RUN only: readable there, in no layer, config, cache entry or leftover file', async () => {
    const value = `s3cr3t-${randomBytes(12).toString('hex')}`;
    const file = path.join(extra, 'token');
    fs.writeFileSync(file, value);
    const dockerfile = [
      'FROM busybox:test',
      'RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d" " -f1 > /digest && ls -ln /run/secrets/tok | cut -c1-10 > /mode',
      'RUN --mount=type=secret,id=tok,target=/etc/app/key,uid=1000,mode=0440 ls -n /etc/app/key | awk "{print \\$1, \\$3}" > /key-owner',
    ].join('\n');
    const { image } = await run(dockerfile, { run: { secrets: [{ id: 'tok', file }] } });
    const files = await imageFiles(store, image);
    expect(files.get('digest')?.toString().trim()).toBe(createHash('sha256').update(value).digest('hex'));
    expect(files.get('mode')?.toString().trim()).toBe('-r--------');
    expect(files.get('key-owner')?.toString().trim()).toBe('-r--r----- 1000');
    // The mount points are gone from the layers: no run/secrets/tok, no etc/app/key.
    expect([...files.keys()].filter((n) => n.startsWith('run/') || n.startsWith('etc/app'))).toEqual([]);
    expect([...files.values()].some((b) => b.includes(value))).toBe(false);
    expect(JSON.stringify(image.config)).not.toContain(value);
    expect(storeBytes(root).includes(value)).toBe(false);
  });

  it('gives a build secret as a variable (env=) to its RUN only: in no layer, config, cache entry or command line', async () => {
    const value = `s3cr3t-${randomBytes(12).toString('hex')}`;
    const file = path.join(extra, 'env-token');
    fs.writeFileSync(file, value);
    const dockerfile = [
      'FROM busybox:test',
      // Only a variable: no file at the default place. The process list is read while the step runs.
      'RUN --mount=type=secret,id=tok,env=TOKEN sh -c \'printf %s "$TOKEN" | sha256sum | cut -d" " -f1 > /digest; test ! -e /run/secrets/tok && echo nofile > /nofile; sleep 0.5\'',
      'RUN --mount=type=secret,id=tok,env=TOKEN,target=/k sh -c \'test "$(cat /k)" = "$TOKEN" && echo both > /both\'',
      'RUN test -z "$TOKEN" && echo unset > /later',
    ].join('\n');
    const seen: string[] = [];
    const scan = setInterval(() => {
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(value)) seen.push(pid);
        } catch {
          // gone meanwhile
        }
      }
    }, 50);
    try {
      const { image } = await run(dockerfile, { run: { secrets: [{ id: 'tok', file }] } });
      const files = await imageFiles(store, image);
      expect(files.get('digest')?.toString().trim()).toBe(createHash('sha256').update(value).digest('hex'));
      expect(files.get('nofile')?.toString()).toBe('nofile\n');
      expect(files.get('both')?.toString()).toBe('both\n');
      expect(files.get('later')?.toString()).toBe('unset\n');
      expect([...files.values()].some((b) => b.includes(value))).toBe(false);
      expect(JSON.stringify(image.config)).not.toContain(value);
      expect(storeBytes(root).includes(value)).toBe(false);
    } finally {
      clearInterval(scan);
    }
    expect(seen).toEqual([]);
  });

  it('fails a RUN whose required secret was not given, naming it; leaves out one that is not required', async () => {
    const { image } = await run('FROM busybox:test\nRUN --mount=type=secret,id=absent sh -c "test ! -e /run/secrets/absent && echo none > /seen"\n');
    expect((await imageFiles(store, image)).get('seen')?.toString()).toBe('none\n');
    const err = await failure(run('FROM busybox:test\nRUN --mount=type=secret,id=absent,required true\n'));
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toContain('the secret "absent" is required by RUN --mount but was not given to the build');
  });

  it('runs RUN steps on no network with network none (loopback only), on the host network by default', async () => {
    const dockerfile = 'FROM busybox:test\nRUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " > /ifaces\n';
    const none = await run(dockerfile, { run: { network: 'none' } });
    expect((await imageFiles(store, none.image)).get('ifaces')?.toString()).toBe('lo\n');
    // The host's network is recognised by an interface of the host that no test makes or removes
    // (other tests add and remove links meanwhile, so counting them would race).
    const hostIface = steadyHostInterface();
    const host = await run(dockerfile, { noCache: true });
    expect((await imageFiles(store, host.image)).get('ifaces')!.toString().trim().split('\n')).toContain(hostIface);
    // RUN --network=host wins over the build's none.
    const override = await run('FROM busybox:test\nRUN --network=host tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " > /ifaces\n', { run: { network: 'none' } });
    expect((await imageFiles(store, override.image)).get('ifaces')?.toString().trim().split('\n')).toContain(hostIface);
  });

  it('holds RUN steps to Docker\'s default devices: a disk made with mknod cannot be opened, /dev/null can; no step cgroup is left', async (ctx) => {
    const disk = hostBlockDevice();
    const where = detectCgroups().controllers.devices;
    if (!disk || !where) return ctx.skip();
    const { image } = await run(
      `FROM busybox:test\nRUN mknod /tmp/disk b ${disk.major} ${disk.minor} && (head -c1 /tmp/disk >/dev/null 2>&1 && echo opened || echo refused) > /devices && echo ok > /dev/null && echo null-ok >> /devices\n`,
      { noCache: true },
    );
    expect((await imageFiles(store, image)).get('devices')?.toString()).toBe('refused\nnull-ok\n');
    // The step's cgroup is gone (and its parent, when no other build is running).
    const parent = path.join(where.mount, 'hafen-build');
    const mine = fs.existsSync(parent) ? fs.readdirSync(parent).filter((e) => e.startsWith(`${process.pid}-`)) : [];
    expect(mine).toEqual([]);
  });

  it('adds extra_hosts to /etc/hosts of RUN steps', async () => {
    const { image } = await run('FROM busybox:test\nRUN cat /etc/hosts > /hosts-seen\n', { run: { extraHosts: { 'db.internal': '10.1.2.3', gw: 'host-gateway' } } });
    const hosts = (await imageFiles(store, image)).get('hosts-seen')!.toString();
    expect(hosts).toContain('10.1.2.3\tdb.internal\n');
    expect(hosts).toContain('127.0.0.1\tgw\n');
  });
});

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ssh-agent'), requireCommand('ssh-add'), requireCommand('ssh-keygen')))('builder with an SSH agent', () => {
  let root: string;
  let ctx: string;
  let agent: ChildProcess;
  let socket: string;
  let fingerprint: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-ssh-root-'));
    ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-build-ssh-ctx-'));
    const key = path.join(ctx, 'id_test');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hafen-build-test', '-f', key]);
    fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    socket = path.join(ctx, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
    execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
    fs.rmSync(key); // only the agent holds it now
  });
  afterAll(() => {
    agent.kill();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(ctx, { recursive: true, force: true });
  });

  it('forwards the agent to RUN --mount=type=ssh, and no trace of it stays in the layer', async () => {
    const store = openStore(root);
    const dockerfileText = 'FROM host\nRUN --mount=type=ssh ssh-add -l > /keys && echo "$SSH_AUTH_SOCK" > /sock\n';
    const { image } = await build(store, { contextDir: ctx, tag: 'ssh', sandbox: new LauncherSandbox(), dockerfileText, run: { ssh: [{ id: 'default', path: socket }] } });
    const files = await imageFiles(store, image);
    expect(files.get('keys')?.toString()).toContain(fingerprint);
    expect(files.get('sock')?.toString()).toBe('/run/buildkit/ssh_agent.0\n');
    expect([...files.keys()].filter((n) => n.startsWith('run/'))).toEqual([]);
    // Without the agent given, a required ssh mount fails, naming it.
    const err = await failure(build(store, { contextDir: ctx, tag: 'ssh2', sandbox: new LauncherSandbox(), dockerfileText: 'FROM host\nRUN --mount=type=ssh,required true\n' }));
    expect(err.message).toContain('the SSH agent "default" is required by RUN --mount=type=ssh but was not given to the build');
  });
});

/** The host's default-route interface (else its first interface besides lo that is not a test's veth or bridge). */
function steadyHostInterface(): string {
  const routes = fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const byRoute = routes.find((r) => r[1] === '00000000')?.[0];
  if (byRoute) return byRoute;
  const names = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
  const steady = names.find((n) => n !== 'lo' && !/^(veth|hf|hafen|br-)/.test(n));
  if (!steady) throw new Error('this host has no interface besides loopback and test links');
  return steady;
}
