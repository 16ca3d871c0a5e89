import { describe, expect, test } from 'vitest';
import { formatPlatform, hostPlatform } from './build-args.js';
import { DockerfileError } from './dockerfile-error.js';
import { parseDockerfile } from './dockerfile-parse.js';
import { DEFAULT_PATH, resolveStages, type ResolveOptions } from './resolve-stages.js';
import type { RunStep, Step } from './stage-model.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const resolve = (text: string, opts: ResolveOptions = {}) =>
  resolveStages(parseDockerfile(text, { file: 'Dockerfile' }), { platform: amd64, ...opts });
const steps = (text: string, opts: ResolveOptions = {}): Step[] => {
  const r = resolve(text, opts);
  return r.stages[r.target]!.steps;
};
const runs = (text: string, opts: ResolveOptions = {}): RunStep[] => steps(text, opts).filter((s): s is RunStep => s.kind === 'run');
/** The environment of the n-th RUN of the target, as a map. */
const runEnv = (text: string, opts: ResolveOptions = {}, n = 0): Record<string, string> =>
  Object.fromEntries(runs(text, opts)[n]!.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const errorOf = (text: string, opts: ResolveOptions = {}): string => {
  try {
    resolve(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return (err as Error).message;
  }
  throw new Error('expected a DockerfileError');
};

const MULTI_STAGE = `
ARG GO_VERSION=1.22
FROM golang:\${GO_VERSION}-alpine AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM alpine:3.19 AS tools
RUN apk add --no-cache curl

FROM builder AS test
RUN go test ./...

FROM scratch
COPY --from=builder /out/app /app
COPY --from=1 /usr/bin/curl /curl
ENTRYPOINT ["/app"]
`;

describe('stages', () => {
  test('multi-stage: bases, dependencies, the default target and what can be skipped', () => {
    const r = resolve(MULTI_STAGE);
    expect(r.stages.map((s) => [s.index, s.displayName, s.base, s.dependsOn, s.needed])).toEqual([
      [0, 'builder', { kind: 'image', ref: 'golang:1.22-alpine' }, [], true],
      [1, 'tools', { kind: 'image', ref: 'alpine:3.19' }, [], true],
      [2, 'test', { kind: 'stage', index: 0 }, [0], false],
      [3, 'stage-3', { kind: 'scratch' }, [0, 1], true],
    ]);
    expect(r.target).toBe(3);
    expect(r.order).toEqual([0, 1, 3]);
    expect(r.stages[2]!.steps).toEqual([]);
    expect(r.stages[3]!.steps[0]).toMatchObject({ kind: 'copy', from: { kind: 'stage', index: 0 }, sources: ['/out/app'], dest: '/app' });
    expect(r.stages[3]!.steps[1]).toMatchObject({ kind: 'copy', from: { kind: 'stage', index: 1 } });
    expect(r.stages[3]!.config).toMatchObject({ entrypoint: ['/app'], env: [`PATH=${DEFAULT_PATH}`] });
  });

  test('--target picks a stage by name (any case) and builds only what it needs', () => {
    const r = resolve(MULTI_STAGE, { target: 'TEST' });
    expect(r.target).toBe(2);
    expect(r.order).toEqual([0, 2]);
    expect(r.stages[2]!.steps.map((s) => s.kind)).toEqual(['run']);
    expect(runs(MULTI_STAGE, { target: 'test' })[0]).toMatchObject({ workdir: '/src', argv: ['/bin/sh', '-c', 'go test ./...'] });
  });

  test('COPY --from an image that is not a stage', () => {
    const r = resolve('FROM alpine\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /etc/nginx/');
    expect(r.stages[0]).toMatchObject({ copyFromImages: ['nginx:latest'], steps: [{ from: { kind: 'image', ref: 'nginx:latest' } }] });
  });

  test.each([
    ['FROM a AS x\nFROM b\nCOPY --from=$X /a /b', {}, 'Dockerfile:3: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround'],
    ['FROM a\nFROM b\nCOPY --from=5 /a /b', {}, 'Dockerfile:3: invalid stage index 5'],
    ['FROM a AS one\nCOPY --from=one /a /b', {}, 'Dockerfile:2: circular dependency detected on stage: one'],
    ['FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two\nCOPY --from=one /a /b', {}, 'Dockerfile:2: circular dependency detected on stage: one'],
    ['FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two', { target: 'one' }, 'Dockerfile:2: cannot copy from stage "two", it needs to be defined before current stage "one"'],
    ['FROM a AS one\nFROM b', { target: 'three' }, 'Dockerfile: target stage "three" could not be found (stages: one)'],
    ['ARG IMG\nFROM $IMG', {}, 'Dockerfile:2: base name ($IMG) should not be blank'],
    ['FROM ${A', {}, 'Dockerfile:1: failed to process "${A": syntax error: missing \'}\''],
    ['FROM --platform=windows a', {}, 'Dockerfile:1: failed to parse platform windows: expected os/arch[/variant]'],
  ])('%j fails', (text, opts, message) => {
    expect(errorOf(text, opts)).toBe(message);
  });

  test('a stage built FROM another inherits its config, ENV and ARGs', () => {
    const r = resolve('FROM alpine AS base\nARG A=1\nENV E=2\nWORKDIR /app\nFROM base\nRUN env');
    expect(runs('FROM alpine AS base\nARG A=1\nENV E=2\nWORKDIR /app\nFROM base\nRUN env')[0]).toMatchObject({
      workdir: '/app',
      env: [`PATH=${DEFAULT_PATH}`, 'A=1', 'E=2'],
    });
    expect(r.stages[1]!.config).toMatchObject({ env: [`PATH=${DEFAULT_PATH}`, 'E=2'], workingDir: '/app' });
  });

  test('the platform of FROM --platform is substituted from global args', () => {
    const r = resolve('FROM --platform=$BUILDPLATFORM golang AS build\nFROM --platform=linux/arm64 alpine');
    expect(r.stages[0]!.platform).toBe(formatPlatform(hostPlatform()));
    expect(r.stages[1]!.platform).toBe('linux/arm64');
  });
});

describe('ARG and ENV scoping', () => {
  test('ARG before FROM is usable in FROM only, until redeclared in the stage', () => {
    const text = 'ARG VERSION=3.19\nFROM alpine:${VERSION}\nRUN echo $VERSION\nARG VERSION\nRUN echo $VERSION';
    const r = resolve(text);
    expect(r.stages[0]!.base).toEqual({ kind: 'image', ref: 'alpine:3.19' });
    expect(runEnv(text, {}, 0).VERSION).toBeUndefined();
    expect(runEnv(text, {}, 1).VERSION).toBe('3.19');
    expect(r.stages[0]!.steps[1]).toMatchObject({ kind: 'arg', args: [{ name: 'VERSION', value: '3.19' }] });
  });

  test('--build-arg overrides the global default, in FROM and in the stage', () => {
    const text = 'ARG VERSION=3.19\nFROM alpine:${VERSION}\nARG VERSION\nRUN true';
    const r = resolve(text, { buildArgs: { VERSION: '3.20' } });
    expect(r.stages[0]!.base).toEqual({ kind: 'image', ref: 'alpine:3.20' });
    expect(runEnv(text, { buildArgs: { VERSION: '3.20' } }).VERSION).toBe('3.20');
  });

  test('a stage ARG is visible from its line to the end of the stage only', () => {
    const text = 'FROM a AS one\nRUN one\nARG X=1\nRUN two\nFROM a AS two\nRUN three';
    expect(runEnv(text, { target: 'one' }, 0)).toEqual({ PATH: DEFAULT_PATH });
    expect(runEnv(text, { target: 'one' }, 1)).toEqual({ PATH: DEFAULT_PATH, X: '1' });
    expect(runEnv(text, { target: 'two' }, 0)).toEqual({ PATH: DEFAULT_PATH });
  });

  test('an ARG without default and without --build-arg is declared but unset', () => {
    expect(runEnv('FROM a\nARG X\nRUN true').X).toBeUndefined();
    expect(runEnv('FROM a\nARG X\nRUN true', { buildArgs: { X: 'given' } }).X).toBe('given');
  });

  test('ENV overrides an ARG of the same name, whatever --build-arg says', () => {
    const text = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER';
    expect(runEnv(text, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }).CONT_IMG_VER).toBe('v1.0.0');
  });

  test('the reference example: ENV defaulting from an ARG', () => {
    const text = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nRUN echo $CONT_IMG_VER';
    expect(runEnv(text).CONT_IMG_VER).toBe('v1.0.0');
    expect(runEnv(text, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }).CONT_IMG_VER).toBe('v2.0.1');
  });

  test('as in BuildKit, an ARG declared after an ENV of the same name wins for later RUNs; the image keeps the ENV', () => {
    const r = resolve('FROM a\nENV X=env\nARG X=arg\nRUN true');
    expect((r.stages[0]!.steps[2] as RunStep).env).toContain('X=arg');
    expect(r.stages[0]!.config.env).toContain('X=env');
  });

  test('ENV pairs on one line see the values from before the line', () => {
    const r = resolve('FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc');
    expect(r.stages[0]!.config.env).toEqual([`PATH=${DEFAULT_PATH}`, 'abc=bye', 'def=hello', 'ghi=bye']);
  });

  test('ARGs on one line see the ones before them', () => {
    expect(runEnv('FROM a\nARG A=1 B=${A}2\nRUN true')).toMatchObject({ A: '1', B: '12' });
  });

  test('ARG values are substituted and unquoted; RUN commands are not substituted', () => {
    const r = resolve('FROM a\nARG MSG="hello world"\nRUN echo "$MSG" \'$MSG\'');
    expect(r.stages[0]!.steps[1]).toMatchObject({ argv: ['/bin/sh', '-c', 'echo "$MSG" \'$MSG\''], env: expect.arrayContaining(['MSG=hello world']) });
  });

  test('platform args exist in the global scope and are redeclared to be used in a stage', () => {
    const text = 'FROM alpine\nRUN echo $TARGETARCH\nARG TARGETARCH TARGETPLATFORM\nRUN echo $TARGETARCH';
    expect(runEnv(text, {}, 0).TARGETARCH).toBeUndefined();
    expect(runEnv(text, {}, 1)).toMatchObject({ TARGETARCH: 'amd64', TARGETPLATFORM: 'linux/amd64' });
    expect(resolve('ARG TARGETARCH\nFROM img-${TARGETARCH}').stages[0]!.base).toEqual({ kind: 'image', ref: 'img-amd64' });
  });

  test('proxy build args reach RUN undeclared, kept apart from the cache-relevant env; never warned about', () => {
    const r = resolve('FROM a\nRUN curl x', { buildArgs: { http_proxy: 'http://proxy:3128', NO_PROXY: 'localhost' } });
    expect(r.stages[0]!.steps[0]).toMatchObject({ env: [`PATH=${DEFAULT_PATH}`], proxyEnv: ['http_proxy=http://proxy:3128', 'NO_PROXY=localhost'] });
    expect(r.warnings).toEqual([]);
  });

  test('build args no ARG declares are warned about', () => {
    const r = resolve('ARG USED\nFROM a\nARG ALSO\nRUN true', { buildArgs: { USED: '1', ALSO: '2', NOPE: '3', ZZZ: '4', BUILDKIT_INLINE_CACHE: '1' } });
    expect(r.warnings).toEqual([{ message: 'one or more build-args were not consumed (no ARG declares them): NOPE, ZZZ' }]);
  });

  test('ARGs of stages the target does not need do not consume build args', () => {
    const r = resolve('FROM a AS other\nARG ONLY_OTHER\nFROM b\nRUN true', { buildArgs: { ONLY_OTHER: 'x' } });
    expect(r.warnings.map((w) => w.message)).toEqual(['one or more build-args were not consumed (no ARG declares them): ONLY_OTHER']);
  });
});

describe('base image config', () => {
  const imageConfig = (ref: string) =>
    ref === 'node:20'
      ? { env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_VERSION=20.11.0'], workingDir: '/usr/src', cmd: ['node'], labels: { a: '1' } }
      : ref === 'trigger'
        ? { onBuild: ['RUN echo hi'] }
        : undefined;

  test('the image ENV is seen by substitution and RUN, its PATH kept, WORKDIR and CMD inherited', () => {
    const r = resolve('FROM node:20\nENV PATH=/app/bin:$PATH\nRUN echo $NODE_VERSION\nWORKDIR app', { imageConfig });
    const stage = r.stages[0]!;
    expect(stage.steps[1]).toMatchObject({ workdir: '/usr/src', env: ['PATH=/app/bin:/usr/local/bin:/usr/bin:/bin', 'NODE_VERSION=20.11.0'] });
    expect(stage.config).toMatchObject({
      env: ['PATH=/app/bin:/usr/local/bin:/usr/bin:/bin', 'NODE_VERSION=20.11.0'],
      workingDir: '/usr/src/app',
      cmd: ['node'],
      labels: { a: '1' },
    });
  });

  test('ENTRYPOINT clears an inherited CMD, but not a CMD set earlier in the stage', () => {
    expect(resolve('FROM node:20\nENTRYPOINT ["tini"]', { imageConfig }).stages[0]!.config).not.toHaveProperty('cmd');
    expect(resolve('FROM node:20\nCMD ["x"]\nENTRYPOINT ["tini"]', { imageConfig }).stages[0]!.config).toMatchObject({ cmd: ['x'], entrypoint: ['tini'] });
    expect(resolve('FROM node:20\nENTRYPOINT ["tini"]\nENTRYPOINT []', { imageConfig }).stages[0]!.config).not.toHaveProperty('entrypoint');
  });

  test('a base image with ONBUILD triggers is refused', () => {
    expect(errorOf('FROM trigger', { imageConfig })).toBe('Dockerfile:1: base image trigger has ONBUILD triggers, which hafen builds do not run');
  });
});

describe('instructions, substituted', () => {
  test.each<[string, Partial<Step>]>([
    ['ENV NAME="hello world" OTHER=${NAME:-x}', { kind: 'env', pairs: [['NAME', 'hello world'], ['OTHER', 'x']] }],
    ['ENV LEGACY some $HOME value', { kind: 'env', pairs: [['LEGACY', 'some /root value']] }],
    ['LABEL "com.example.vendor"="ACME Inc" version=$V', { kind: 'label', labels: [['com.example.vendor', 'ACME Inc'], ['version', '1.2']] }],
    ['WORKDIR $HOME/app', { kind: 'workdir', path: '/root/app' }],
    ['WORKDIR sub/../dir/', { kind: 'workdir', path: '/work/dir' }],
    ['WORKDIR /', { kind: 'workdir', path: '/' }],
    ['USER ${USER:-app}:app', { kind: 'user', user: 'app:app' }],
    ['EXPOSE 80 $PORT/udp 8000-8002', { kind: 'expose', ports: ['53/udp', '80/tcp', '8000/tcp', '8001/tcp', '8002/tcp'] }],
    ['EXPOSE 443/TCP', { kind: 'expose', ports: ['443/tcp'] }],
    ['STOPSIGNAL SIG$SIG', { kind: 'stopsignal', signal: 'SIGQUIT' }],
    ['STOPSIGNAL 9', { kind: 'stopsignal', signal: '9' }],
    ['VOLUME ["$HOME/data", "/logs"]', { kind: 'volume', paths: ['/root/data', '/logs'] }],
    ['CMD echo $HOME', { kind: 'cmd', cmd: ['/bin/sh', '-c', 'echo $HOME'] }],
    ['ENTRYPOINT exec app', { kind: 'entrypoint', entrypoint: ['/bin/sh', '-c', 'exec app'] }],
    ['COPY --chown=$V:$V $V.txt ${HOME}/', { kind: 'copy', chown: '1.2:1.2', sources: ['1.2.txt'], dest: '/root/' }],
    ['COPY ["a file.txt", "rel/dest"]', { kind: 'copy', sources: ['a file.txt'], dest: '/work/rel/dest' }],
    ['COPY "quoted.txt" \'dest\'', { kind: 'copy', sources: ['quoted.txt'], dest: '/work/dest' }],
    ['COPY . .', { kind: 'copy', sources: ['.'], dest: '/work/' }],
    ['COPY a ./', { kind: 'copy', dest: '/work/' }],
    ['COPY a /abs/.', { kind: 'copy', dest: '/abs/' }],
    ['COPY --chmod=755 a /b', { kind: 'copy', chmod: 0o755 }],
    ['ADD app.tar.gz /opt/', { kind: 'add', unpack: true, from: { kind: 'context' }, dest: '/opt/' }],
    ['MAINTAINER Jane', { kind: 'maintainer', maintainer: 'Jane' }],
  ])('%s', (line, expected) => {
    const text = `FROM a\nENV HOME=/root V=1.2 PORT=53 SIG=QUIT\nWORKDIR /work\n${line}`;
    expect(steps(text)[2]).toMatchObject(expected);
  });

  test('the config collects what the steps set', () => {
    const r = resolve(
      [
        'FROM a',
        'LABEL org.opencontainers.image.title="My App" version=1',
        'EXPOSE 8080 53/udp',
        'EXPOSE 8080',
        'VOLUME /data',
        'USER app',
        'WORKDIR /srv',
        'STOPSIGNAL SIGINT',
        'SHELL ["/bin/bash", "-c"]',
        'HEALTHCHECK --interval=30s CMD curl -f localhost:8080',
        'CMD ./serve',
        'MAINTAINER Jane',
      ].join('\n'),
    );
    expect(r.stages[0]!.config).toEqual({
      env: [`PATH=${DEFAULT_PATH}`],
      workingDir: '/srv',
      user: 'app',
      cmd: ['/bin/bash', '-c', './serve'],
      exposedPorts: ['53/udp', '8080/tcp'],
      volumes: ['/data'],
      labels: { 'org.opencontainers.image.title': 'My App', version: '1' },
      stopSignal: 'SIGINT',
      healthcheck: { test: ['CMD-SHELL', 'curl -f localhost:8080'], intervalNs: 30e9, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 },
      shell: ['/bin/bash', '-c'],
      author: 'Jane',
    });
  });

  test('RUN: argv, SHELL, user, workdir, network', () => {
    const [a, b, c] = runs('FROM a\nUSER nobody\nWORKDIR /w\nRUN echo 1\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN --network=none echo 2 | cat\nRUN ["ls", "-l"]');
    expect(a).toMatchObject({ argv: ['/bin/sh', '-c', 'echo 1'], user: 'nobody', workdir: '/w', files: [] });
    expect(b).toMatchObject({ argv: ['/bin/bash', '-eo', 'pipefail', '-c', 'echo 2 | cat'], network: 'none' });
    expect(c).toMatchObject({ argv: ['ls', '-l'] });
  });

  test('RUN heredocs: a plain body runs in the shell, a #! body runs as a mounted script, others go to the shell whole', () => {
    const [plain, script, inline] = runs(
      ['FROM a', 'RUN <<EOF', 'echo one', 'echo two', 'EOF', 'RUN <<-PY', '\t#!/usr/bin/env python3', '\tprint("hi")', '\tPY', 'RUN cat <<EOF > /f', 'x', 'EOF'].join('\n'),
    );
    expect(plain).toMatchObject({ argv: ['/bin/sh', '-c', 'echo one\necho two\n'], files: [] });
    expect(script).toMatchObject({
      argv: ['/bin/sh', '-c', '/dev/pipes/PY'],
      files: [{ path: '/dev/pipes/PY', content: '#!/usr/bin/env python3\nprint("hi")\n', mode: 0o755 }],
    });
    expect(inline).toMatchObject({ argv: ['/bin/sh', '-c', 'cat <<EOF > /f\nx\nEOF'] });
  });

  test('COPY heredocs: bodies are substituted unless the delimiter is quoted', () => {
    const s = steps("FROM a\nARG NAME=world\nCOPY <<EOF <<'RAW' /etc/\nhello $NAME\nEOF\nhello $NAME\nRAW\n");
    expect(s[1]).toMatchObject({
      kind: 'copy',
      sources: [],
      dest: '/etc/',
      inline: [
        { path: 'EOF', content: 'hello world\n', mode: 0o644 },
        { path: 'RAW', content: 'hello $NAME\n', mode: 0o644 },
      ],
    });
  });

  test.each([
    ['ADD https://example.com/a.tar.gz /x/', 'Dockerfile:2: ADD https://example.com/a.tar.gz: remote sources (URLs, git) are not supported, hafen builds have no network; put the file in the build context instead'],
    ['ARG URL=http://x/y\nADD $URL /x/', 'Dockerfile:3: ADD http://x/y: remote sources (URLs, git) are not supported, hafen builds have no network; put the file in the build context instead'],
    ['ADD git@github.com:moby/buildkit.git /src', 'Dockerfile:2: ADD git@github.com:moby/buildkit.git: remote sources (URLs, git) are not supported, hafen builds have no network; put the file in the build context instead'],
    ['COPY https://example.com/a /x', "Dockerfile:2: source can't be a URL for COPY: https://example.com/a"],
    ['COPY --chmod=u+x a /b', "Dockerfile:2: invalid chmod parameter: 'u+x'. it should be octal string and between 0 and 07777"],
    ['COPY --chmod=17777 a /b', "Dockerfile:2: invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777"],
    ['EXPOSE 80/xyz', 'Dockerfile:2: invalid proto: xyz'],
    ['EXPOSE 99999', 'Dockerfile:2: invalid containerPort: 99999'],
    ['EXPOSE 90-80', 'Dockerfile:2: invalid range specified for container port: 90-80'],
    ['STOPSIGNAL SIGFOO', 'Dockerfile:2: Invalid signal: SIGFOO'],
    ['VOLUME $NOTHING', 'Dockerfile:2: VOLUME specified can not be an empty string'],
    ['WORKDIR $NOTHING', 'Dockerfile:2: cannot normalize nothing'],
    ['ENV A=${B', 'Dockerfile:2: failed to process "${B": syntax error: missing \'}\''],
    ['COPY "a file.txt" /dest/', 'Dockerfile:2: failed to process "\\"a": unexpected end of statement while looking for matching double-quote'],
    ['RUN true\nLABEL x="unterminated', 'Dockerfile:3: failed to process "\\"unterminated": unexpected end of statement while looking for matching double-quote'],
  ])('%j fails', (line, message) => {
    expect(errorOf(`FROM a\n${line}`)).toBe(message);
  });

  test('errors in stages the target does not need are not raised, as BuildKit does not build them', () => {
    expect(() => resolve('FROM a AS unused\nENV A=${B\nFROM b\nRUN true')).not.toThrow();
  });
});
