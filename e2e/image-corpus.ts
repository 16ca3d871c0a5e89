/**
 * A corpus of images made at test time by the real tools of this machine — `docker import`,
 * `docker commit`, `docker build`, `docker save`, `skopeo copy`, `umoci`, `buildah` — each from a
 * busybox-static rootfs with one probe script, each writing its config the way that tool writes it
 * (nulls, omitted fields, numeric and `uid:gid` users, healthchecks, stop signals). Every docker
 * image gets a tag under this run's prefix and every file goes under `dir`, so `removeCorpus`
 * takes it all away.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';

/**
 * What a container of a corpus image sees and how it stops: `info` prints the user, the working
 * directory and the environment that matters; `serve` prints the same, traps every stop signal
 * (writing its name to /out/stopped), marks itself up for `health`, and waits.
 */
const PROBE = `#!/bin/sh
case "$1" in
health) test -f /tmp/up ;;
info|serve)
  echo "id: $(id)"
  echo "pwd: $(pwd)"
  env | grep -E '^(PATH|HOME|GREETING|TOOL|DUP|BARE)=' | sort
  [ "$1" = info ] && exit 0
  for s in TERM USR1 USR2 INT QUIT HUP; do trap "echo $s > /out/stopped; exit 0" $s; done
  touch /tmp/up
  echo serving
  while :; do sleep 0.1; done ;;
*) echo "probe: info|serve|health" >&2; exit 2 ;;
esac
`;

/** One image of the corpus and what a container of it must show. */
export interface CorpusImage {
  /** The service name in the test's stack file. */
  service: string;
  /** The stack file's `image:` value (`docker-archive:…`, `oci:…`). */
  image: string;
  /** The service's `command:` when the image has no CMD. */
  command?: string[];
  /** The same image in the local dockerd, to compare `docker run` with. */
  dockerRef?: string;
  /** Lines the probe's `info` must print (checked in hafen's output, and docker's must equal it). */
  expect: string[];
  /** The signal `stack down` must stop it with (what the probe writes), and whether it has a healthcheck. */
  stopsWith: string;
  healthcheck: boolean;
}

/** Where the corpus lives and what it made, for removal. */
export interface Corpus {
  dir: string;
  prefix: string;
  images: CorpusImage[];
  /** Docker tags made (removed by removeCorpus). */
  dockerTags: string[];
  /** Docker containers made (removed by removeCorpus). */
  dockerContainers: string[];
}

const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', ...opts });

/** A busybox rootfs with the probe; `passwd: false` leaves out /etc/passwd and /etc/group (as `FROM scratch` images). */
function probeRootfs(dir: string, passwd: boolean): void {
  makeBusyboxRootfs(dir);
  if (!passwd) {
    fs.rmSync(path.join(dir, 'etc/passwd'));
    fs.rmSync(path.join(dir, 'etc/group'));
  }
  fs.writeFileSync(path.join(dir, 'bin/probe'), PROBE, { mode: 0o755 });
  fs.chmodSync(path.join(dir, 'bin/probe'), 0o755);
}

/** `docker import`, `docker commit`, `docker build`, and `docker save` of each (one archive holding two). */
function dockerImages(c: Corpus, bare: string): void {
  const tar = path.join(c.dir, 'bare.tar');
  sh('tar', ['-C', bare, '-cf', tar, '.']);
  const tag = (name: string) => {
    const t = `${c.prefix}/${name}:1`;
    c.dockerTags.push(t);
    return t;
  };

  // docker import with no --change: a config of nulls, no CMD, no PATH.
  const imported = tag('import');
  sh('docker', ['import', tar, imported]);
  sh('docker', ['save', '-o', path.join(c.dir, 'import.tar'), imported]);
  c.images.push({
    service: 'dockerimport',
    image: `docker-archive:${path.join(c.dir, 'import.tar')}`,
    command: ['/bin/probe', 'serve'],
    dockerRef: imported,
    expect: ['id: uid=0 gid=0 groups=0', 'pwd: /', 'HOME=/'],
    stopsWith: 'TERM',
    healthcheck: false,
  });

  handmadeImage(c, path.join(c.dir, 'import.tar'), tag('handmade'));

  // docker commit --change: CMD, ENV, a numeric USER without /etc/passwd, WORKDIR, and a healthcheck-less image.
  const container = `${c.prefix.replace(/\//g, '-')}-commit`;
  c.dockerContainers.push(container);
  sh('docker', ['create', '--name', container, '--network', 'none', imported, '/bin/probe', 'info']);
  const committed = tag('commit');
  sh('docker', ['commit', '--change', 'CMD ["/bin/probe", "serve"]', '--change', 'ENV GREETING=commit TOOL=docker-commit', '--change', 'USER 1234', '--change', 'WORKDIR /srv/commit', '--change', 'EXPOSE 8080', container, committed]);

  // docker build: USER uid:gid, HEALTHCHECK, STOPSIGNAL, VOLUME, EXPOSE, ONBUILD, LABEL.
  const ctx = path.join(c.dir, 'build-ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      `FROM ${imported}`,
      'ENV GREETING=build TOOL=docker-build PATH=/bin',
      'WORKDIR /srv/build',
      'USER 1000:1000',
      'HEALTHCHECK --interval=1s --timeout=3s --retries=30 CMD ["/bin/probe", "health"]',
      'STOPSIGNAL SIGUSR1',
      'VOLUME /data',
      'EXPOSE 8080/tcp 53/udp',
      'ONBUILD RUN echo triggered',
      'LABEL made.by=docker-build',
      'CMD ["/bin/probe", "serve"]',
      '',
    ].join('\n'),
  );
  const built = tag('build');
  sh('docker', ['build', '-q', '-t', built, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  // Both in one archive: `docker-archive:PATH:NAME` picks one.
  const both = path.join(c.dir, 'commit-and-build.tar');
  sh('docker', ['save', '-o', both, committed, built]);
  c.images.push({
    service: 'dockercommit',
    image: `docker-archive:${both}:${committed}`,
    dockerRef: committed,
    expect: ['id: uid=1234 gid=0 groups=0', 'pwd: /srv/commit', 'GREETING=commit', 'HOME=/'],
    stopsWith: 'TERM',
    healthcheck: false,
  });
  c.images.push({
    service: 'dockerbuild',
    image: `docker-archive:${both}:${built}`,
    dockerRef: built,
    expect: ['id: uid=1000 gid=1000 groups=1000', 'pwd: /srv/build', 'GREETING=build', 'PATH=/bin'],
    stopsWith: 'USR1',
    healthcheck: true,
  });
}

/**
 * A config as a hand (or a lesser tool) writes it, which dockerd still runs: the `docker import`
 * archive with its config rewritten to an `Env` with an entry without `=` and a repeated key, a
 * numeric `User`, `null` for every list and map, no `WorkingDir`, `history: null`, a `SIG`-less
 * StopSignal; loaded into dockerd too, to compare.
 */
function handmadeImage(c: Corpus, importTar: string, name: string): void {
  const dir = path.join(c.dir, 'handmade');
  fs.mkdirSync(dir);
  sh('tar', ['-C', dir, '-xf', importTar]);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  const config = JSON.parse(fs.readFileSync(path.join(dir, manifest[0]!.Config), 'utf8')) as { config: Record<string, unknown>; history?: unknown };
  fs.rmSync(path.join(dir, manifest[0]!.Config));
  const nulls = Object.fromEntries(['Entrypoint', 'Cmd', 'Volumes', 'ExposedPorts', 'Labels', 'OnBuild', 'Healthcheck', 'Shell'].map((k) => [k, null]));
  const { WorkingDir: _dropped, ...rest } = config.config;
  config.config = { ...rest, ...nulls, Env: ['BARE', 'DUP=1', 'PATH=/bin', 'DUP=2'], User: '1234', StopSignal: 'HUP' };
  config.history = null;
  const bytes = Buffer.from(JSON.stringify(config));
  const file = `${createHash('sha256').update(bytes).digest('hex')}.json`;
  fs.writeFileSync(path.join(dir, file), bytes);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ ...manifest[0], Config: file, RepoTags: [name] }]));
  fs.rmSync(path.join(dir, 'repositories'), { force: true });
  const archive = path.join(c.dir, 'handmade.tar');
  sh('tar', ['-C', dir, '-cf', archive, '.']);
  sh('docker', ['load', '-i', archive]);
  c.images.push({
    service: 'handmade',
    image: `docker-archive:${archive}`,
    command: ['/bin/probe', 'serve'],
    dockerRef: name,
    // BARE is nowhere (dockerd drops it), DUP is the last one.
    expect: ['id: uid=1234 gid=0 groups=0', 'pwd: /', 'DUP=2', 'PATH=/bin', 'HOME=/'],
    stopsWith: 'HUP',
    healthcheck: false,
  });
}

/** `skopeo copy` of the docker-built image to an OCI layout, a docker-archive and an oci-archive. */
function skopeoImages(c: Corpus): void {
  const built = `${c.prefix}/build:1`;
  const layout = path.join(c.dir, 'skopeo-oci');
  const named = `${c.prefix}/skopeo:1`;
  sh('skopeo', ['copy', '--quiet', `docker-daemon:${built}`, `oci:${layout}:${named}`]);
  const archive = path.join(c.dir, 'skopeo-docker.tar');
  sh('skopeo', ['copy', '--quiet', `docker-daemon:${built}`, `docker-archive:${archive}:${c.prefix}/skopeo-archive:1`]);
  const ociArchive = path.join(c.dir, 'skopeo-oci-archive.tar');
  sh('skopeo', ['copy', '--quiet', `docker-daemon:${built}`, `oci-archive:${ociArchive}:${c.prefix}/skopeo-oci-archive:1`]);
  const same = { expect: ['id: uid=1000 gid=1000 groups=1000', 'pwd: /srv/build', 'GREETING=build'], stopsWith: 'USR1', dockerRef: built };
  // skopeo rewrites the config in OCI's schema for an OCI layout, which has no Healthcheck: it is gone there.
  c.images.push({ service: 'skopeooci', image: `oci:${layout}:${named}`, ...same, healthcheck: false });
  c.images.push({ service: 'skopeoarchive', image: `docker-archive:${archive}`, ...same, healthcheck: true });
  // An oci-archive is a tar of a layout, which the docker-archive reader takes as Docker 25's `docker load` does.
  c.images.push({ service: 'skopeociarchive', image: `docker-archive:${ociArchive}`, ...same, healthcheck: false });
}

/** umoci: a layout made from nothing, the rootfs repacked into it, its config set field by field (no healthcheck: OCI has none). */
function umociImage(c: Corpus, bare: string): void {
  const layout = path.join(c.dir, 'umoci');
  const bundle = path.join(c.dir, 'umoci-bundle');
  sh('umoci', ['init', '--layout', layout]);
  sh('umoci', ['new', '--image', `${layout}:latest`]);
  sh('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
  fs.rmSync(path.join(bundle, 'rootfs'), { recursive: true });
  fs.cpSync(bare, path.join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  sh('umoci', ['repack', '--image', `${layout}:latest`, bundle]);
  sh('umoci', [
    'config', '--image', `${layout}:latest`,
    '--config.user', '4321:55', '--config.env', 'GREETING=umoci', '--config.env', 'TOOL=umoci',
    '--config.workingdir', '/srv/umoci', '--config.cmd', '/bin/probe', '--config.cmd', 'serve',
    '--config.stopsignal', 'SIGUSR2', '--config.volume', '/data', '--config.exposedports', '9090/tcp', '--config.label', 'made.by=umoci',
  ]);
  c.images.push({
    service: 'umoci',
    image: `oci:${layout}:latest`,
    // umoci sets no PATH: the container gets the default one, as under Docker.
    expect: ['id: uid=4321 gid=55 groups=55', 'pwd: /srv/umoci', 'GREETING=umoci', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    stopsWith: 'USR2',
    healthcheck: false,
  });
}

/** buildah from scratch, with a passwd (user `app:staff` by name), committed in docker format (healthcheck kept) and OCI format. */
function buildahImages(c: Corpus, withPasswd: string): void {
  const storage = path.join(c.dir, 'buildah');
  const b = (...args: string[]) => sh('buildah', ['--root', `${storage}/root`, '--runroot', `${storage}/run`, '--storage-driver', 'vfs', ...args]);
  const ctr = b('from', '--name', `${c.prefix.replace(/\//g, '-')}-buildah`, 'scratch').trim();
  try {
    b('copy', ctr, `${withPasswd}/`, '/');
    b(
      'config',
      '--user', 'app:staff', '--env', 'GREETING=buildah', '--env', 'TOOL=buildah', '--workingdir', '/srv/buildah',
      '--cmd', '["/bin/probe", "serve"]', '--stop-signal', 'SIGQUIT',
      '--healthcheck', 'CMD /bin/probe health', '--healthcheck-interval', '1s', '--healthcheck-retries', '30',
      ctr,
    );
    const archive = path.join(c.dir, 'buildah-docker.tar');
    b('commit', '--quiet', '--format', 'docker', ctr, `docker-archive:${archive}:${c.prefix}/buildah:1`);
    const layout = path.join(c.dir, 'buildah-oci');
    b('commit', '--quiet', '--format', 'oci', ctr, `oci:${layout}:${c.prefix}/buildah-oci:1`);
    const expect = ['id: uid=1000(app) gid=50(staff) groups=50(staff)', 'pwd: /srv/buildah', 'GREETING=buildah', 'HOME=/home/app'];
    c.images.push({ service: 'buildahdocker', image: `docker-archive:${archive}`, expect, stopsWith: 'QUIT', healthcheck: true });
    // The OCI format has no healthcheck field: buildah drops it there.
    c.images.push({ service: 'buildahoci', image: `oci:${layout}:${c.prefix}/buildah-oci:1`, expect, stopsWith: 'QUIT', healthcheck: false });
  } finally {
    spawnSync('buildah', ['--root', `${storage}/root`, '--runroot', `${storage}/run`, '--storage-driver', 'vfs', 'rm', '--all'], { stdio: 'ignore' });
  }
}

/** Makes the whole corpus under `dir`; docker tags under `prefix` (e.g. `hafen-corpus-1234`). */
export function makeCorpus(dir: string, prefix: string): Corpus {
  const c: Corpus = { dir, prefix, images: [], dockerTags: [], dockerContainers: [] };
  const bare = path.join(dir, 'rootfs-bare');
  probeRootfs(bare, false);
  const withPasswd = path.join(dir, 'rootfs-passwd');
  probeRootfs(withPasswd, true);
  try {
    dockerImages(c, bare);
    skopeoImages(c);
    umociImage(c, bare);
    buildahImages(c, withPasswd);
  } catch (err) {
    removeCorpus(c);
    throw err;
  }
  return c;
}

/** Removes the corpus's docker containers and tags, buildah's storage (vfs leaves read-only dirs) and its folder. */
export function removeCorpus(c: Corpus): void {
  if (c.dockerContainers.length) spawnSync('docker', ['rm', '-f', '-v', ...c.dockerContainers], { stdio: 'ignore' });
  if (c.dockerTags.length) spawnSync('docker', ['rmi', '-f', ...c.dockerTags], { stdio: 'ignore' });
  const storage = path.join(c.dir, 'buildah');
  if (fs.existsSync(storage)) {
    spawnSync('buildah', ['--root', `${storage}/root`, '--runroot', `${storage}/run`, '--storage-driver', 'vfs', 'rm', '--all'], { stdio: 'ignore' });
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}
