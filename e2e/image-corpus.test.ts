/**
 * Images as real tools write them (e2e/image-corpus.ts makes them: docker import/commit/build/save,
 * skopeo to docker-archive, OCI layout and oci-archive, umoci, buildah) through hafen: imported by
 * `stack up` from `docker-archive:`/`oci:` on the embedded runtime, run with the user, working
 * directory and environment `docker run` gives them, their HEALTHCHECK reaching healthy and their
 * STOPSIGNAL stopping them; then `stack image save` of each, which `docker load` takes as the same
 * image id and `docker run` runs with the same output and the same stop signal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { cliPath, type CliResult } from './cli.js';
import { makeCorpus, removeCorpus, type Corpus, type CorpusImage } from './image-corpus.js';
import { stackLeftovers } from './stack-leftovers.js';

/** A Docker engine that answers (`docker info`), not just the client. */
const requireDockerd: Requirement = {
  name: 'dockerd',
  check: () => {
    const r = spawnSync('docker', ['info'], { stdio: 'pipe', encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? undefined : `docker info fails: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  },
};

const needs = [requireRoot(), requireOverlay(), requireCommand('busybox'), requireCommand('docker'), requireDockerd, requireCommand('skopeo'), requireCommand('umoci'), requireCommand('buildah'), requireCommand('ip')];
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });

/** The probe's `info` lines out of a log: everything before `serving`. */
const infoLines = (text: string) => text.split('\n').slice(0, Math.max(0, text.split('\n').indexOf('serving')));

describe.skipIf(unmet(...needs))('images made by docker, skopeo, umoci and buildah, through hafen and back', () => {
  const run = randomBytes(3).toString('hex');
  const project = `corpus${run}`;
  /** Builds on the corpus images, in their own project and stack file. */
  const buildProject = `corpusb${run}`;
  let dir: string;
  let root: string;
  let corpus: Corpus | undefined;
  const loadedIds = new Set<string>();
  const dockerContainers: string[] = [];

  const stack = (args: string[], timeout = 120_000, file = 'stack.yaml', name = project): CliResult => {
    const r = spawnSync(process.execPath, [cliPath, '-f', path.join(dir, file), '-p', name, '--progress', 'plain', ...args], {
      cwd: dir,
      env: { ...process.env, HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.250.0.0/16:24', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const images = () => corpus!.images;
  const logsOf = (service: string) => stack(['logs', '--no-log-prefix', service]).stdout;
  const buildStack = (args: string[]) => stack(args, 180_000, 'build.yaml', buildProject);
  const noHealthProject = `corpusn${run}`;
  const noHealthStack = (args: string[]) => stack(args, 120_000, 'nohealth.yaml', noHealthProject);
  const health = (of: (args: string[]) => CliResult) =>
    new Map((JSON.parse(of(['ps', '--json']).stdout) as { service: string; health: string }[]).map((r) => [r.service, r.health]));
  /** Polls `ps --json` until every service has the health wanted (or 45 s pass); returns what it saw last. */
  const awaitHealth = async (of: (args: string[]) => CliResult, want: Map<string, string>) => {
    const deadline = Date.now() + 45_000;
    let seen = health(of);
    while (Date.now() < deadline && [...want].some(([svc, h]) => seen.get(svc) !== h)) {
      await new Promise((r) => setTimeout(r, 500));
      seen = health(of);
    }
    return Object.fromEntries(seen);
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-e2e-corpus-'));
    root = path.join(dir, 'state');
    corpus = makeCorpus(path.join(dir, 'images'), `hafen-corpus-${run}`);
    const services = images().map((img) => {
      const out = path.join(dir, 'out', img.service);
      fs.mkdirSync(out, { recursive: true, mode: 0o777 });
      fs.chmodSync(out, 0o777); // the probe runs as several users
      return [
        `  ${img.service}:`,
        `    image: ${JSON.stringify(img.image)}`,
        ...(img.command ? [`    command: ${JSON.stringify(img.command)}`] : []),
        `    volumes: [${JSON.stringify(`${out}:/out`)}]`,
        '    stop_grace_period: 20s',
      ].join('\n');
    });
    // Compose's partial healthcheck: only retries given, the test and interval are the image's; and a
    // service that waits for it, and for one whose only healthcheck is its image's, to be healthy.
    const buildah = images().find((img) => img.service === 'buildahdocker')!;
    services.push(
      ['  partial:', `    image: ${JSON.stringify(buildah.image)}`, '    healthcheck: {retries: 40}', '  waiter:', `    image: ${JSON.stringify(buildah.image)}`, '    depends_on: {partial: {condition: service_healthy}, dockerbuild: {condition: service_healthy}}'].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'stack.yaml'), `services:\n${services.join('\n')}\n`);
  }, 300_000);

  afterAll(() => {
    try {
      if (root) {
        stack(['down', '-v']);
        if (fs.existsSync(path.join(dir, 'build.yaml'))) buildStack(['down', '-v']);
        if (fs.existsSync(path.join(dir, 'nohealth.yaml'))) noHealthStack(['down', '-v']);
        expect(stackLeftovers(noHealthProject, root)).toEqual([]);
        expect(stackLeftovers(project, root)).toEqual([]);
        expect(stackLeftovers(buildProject, root)).toEqual([]);
      }
    } finally {
      // -v: the images declare VOLUME /data, and docker keeps a container's anonymous volumes without it.
      if (dockerContainers.length) spawnSync('docker', ['rm', '-f', '-v', ...dockerContainers], { stdio: 'ignore' });
      if (corpus) removeCorpus(corpus);
      // Images docker loaded from hafen's archives that no corpus tag held (umoci's, buildah's).
      for (const id of loadedIds) spawnSync('docker', ['rmi', id], { stdio: 'ignore' });
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('imports every image on `stack up` and runs it with the user, working directory and environment docker gives it', () => {
    const up = stack(['up', '-d']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    for (const img of images()) {
      const logs = logsOf(img.service);
      const info = infoLines(logs);
      expect(info, `${img.service}: ${logs}`).toEqual(expect.arrayContaining(img.expect));
      expect(info.filter((l) => l.startsWith('BARE')), img.service).toEqual([]); // an Env entry without "=" sets nothing
      if (img.dockerRef) {
        const inDocker = docker('run', '--rm', '--network', 'none', img.dockerRef, '/bin/probe', 'info');
        expect(info.join('\n'), img.service).toBe(inDocker.trimEnd());
      }
    }
  }, 300_000);

  it("runs each image's HEALTHCHECK until healthy; images without one have none; a stack healthcheck giving only retries keeps the image's test", async () => {
    const want = new Map(images().map((img) => [img.service, img.healthcheck ? 'healthy' : 'none']));
    want.set('partial', 'healthy').set('waiter', 'healthy');
    expect(await awaitHealth((args) => stack(args), want)).toEqual(Object.fromEntries(want));
  }, 120_000);

  it('refuses to wait for service_healthy on a service whose image has no HEALTHCHECK, saying so', () => {
    const commit = images().find((img) => img.service === 'dockercommit')!;
    fs.writeFileSync(
      path.join(dir, 'nohealth.yaml'),
      ['services:', '  plain:', `    image: ${JSON.stringify(commit.image)}`, '  needy:', `    image: ${JSON.stringify(commit.image)}`, '    depends_on: {plain: {condition: service_healthy}}', ''].join('\n'),
    );
    const up = noHealthStack(['up', '-d']);
    expect(up.code).not.toBe(0);
    expect(up.stderr + up.stdout).toContain('it has no healthcheck: the stack file sets none and its image has no HEALTHCHECK');
  }, 120_000);

  it("stops each container with its image's STOPSIGNAL", () => {
    const stop = stack(['stop']);
    expect(stop.code, stop.stderr).toBe(0);
    const stoppedBy = (img: CorpusImage) => fs.readFileSync(path.join(dir, 'out', img.service, 'stopped'), 'utf8').trim();
    expect(Object.fromEntries(images().map((img) => [img.service, stoppedBy(img)]))).toEqual(Object.fromEntries(images().map((img) => [img.service, img.stopsWith])));
  }, 120_000);

  it('builds FROM a corpus image keeping its USER, HEALTHCHECK and STOPSIGNAL; refuses a base with ONBUILD triggers', async () => {
    const base = `${corpus!.prefix}/buildah:1`; // in the store since `up` imported its archive
    fs.mkdirSync(path.join(dir, 'on-buildah'));
    fs.writeFileSync(path.join(dir, 'on-buildah', 'Dockerfile'), `FROM ${base}\nENV TOOL=hafen-build\n`);
    fs.mkdirSync(path.join(dir, 'on-docker-build'));
    fs.writeFileSync(path.join(dir, 'on-docker-build', 'Dockerfile'), `FROM ${corpus!.prefix}/build:1\nENV TOOL=hafen-build\n`);
    const out = path.join(dir, 'out', 'built');
    fs.mkdirSync(out, { mode: 0o777 });
    fs.chmodSync(out, 0o777);
    fs.writeFileSync(
      path.join(dir, 'build.yaml'),
      ['services:', '  built:', '    build: ./on-buildah', `    volumes: [${JSON.stringify(`${out}:/out`)}]`, '  onbuild:', '    build: ./on-docker-build', '    profiles: [onbuild]', ''].join('\n'),
    );
    const up = buildStack(['up', '-d', 'built']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(await awaitHealth(buildStack, new Map([['built', 'healthy']]))).toEqual({ built: 'healthy' });
    const logs = buildStack(['logs', '--no-log-prefix', 'built']).stdout;
    expect(infoLines(logs)).toEqual(expect.arrayContaining(['id: uid=1000(app) gid=50(staff) groups=50(staff)', 'pwd: /srv/buildah', 'TOOL=hafen-build']));
    expect(buildStack(['stop']).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'stopped'), 'utf8').trim()).toBe('QUIT');

    // The docker-built image has ONBUILD triggers (imported with the docker-archive of `up`): refused, not built without them.
    const refused = buildStack(['--profile', 'onbuild', 'build', 'onbuild']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`base image ${corpus!.prefix}/build:1 has ONBUILD triggers, which hafen builds do not run`);
  }, 300_000);

  it('saves each image back to an archive docker loads as the same image, running the same and stopping by the same signal', () => {
    const ids = new Map((JSON.parse(stack(['image', 'ls', '--json']).stdout) as { name: string; id: string }[]).map((i) => [i.name, i.id]));
    for (const img of images()) {
      const tar = path.join(dir, `${img.service}.saved.tar`);
      const saved = stack(['image', 'save', img.image, '-o', tar]);
      expect(saved.code, saved.stderr).toBe(0);
      const loaded = docker('load', '-i', tar);
      const id = /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(loaded)?.[1];
      expect(id, loaded).toBeDefined();
      loadedIds.add(id!);
      const hafenId = [...ids].find(([name]) => name.startsWith(img.image))?.[1];
      expect(id, img.service).toBe(hafenId);

      const hafenInfo = infoLines(logsOf(img.service));
      expect(docker('run', '--rm', '--network', 'none', id!, '/bin/probe', 'info').trimEnd(), img.service).toBe(hafenInfo.join('\n'));

      // docker stop sends the STOPSIGNAL of the saved config, as hafen did.
      const out = fs.mkdtempSync(path.join(dir, `${img.service}-docker-`));
      fs.chmodSync(out, 0o777);
      const name = `hafen-corpus-${run}-${img.service}`;
      dockerContainers.push(name);
      docker('run', '-d', '--name', name, '--network', 'none', '-v', `${out}:/out`, id!, '/bin/probe', 'serve');
      for (let i = 0; i < 50 && !docker('logs', name).includes('serving'); i++) execFileSync('sleep', ['0.1']);
      docker('stop', '-t', '20', name);
      expect(fs.readFileSync(path.join(out, 'stopped'), 'utf8').trim(), img.service).toBe(img.stopsWith);
      const anonymous = docker('inspect', '-f', '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', name).trim().split(' ').filter(Boolean);
      docker('rm', '-f', '-v', name);
      // Nothing of the test stays in the engine: the anonymous volumes of VOLUME /data go with it.
      for (const v of anonymous) expect(spawnSync('docker', ['volume', 'inspect', v], { stdio: 'ignore' }).status, `volume ${v}`).not.toBe(0);
    }
  }, 300_000);
});
