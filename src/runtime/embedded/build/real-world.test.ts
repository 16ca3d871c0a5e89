/** Whole Dockerfiles of the kinds people write, through parse → resolve → COPY expansion. */
import { describe, expect, test } from 'vitest';
import { expandCopySources, type SourceEntry } from './copy-sources.js';
import { parseDockerfile } from './dockerfile-parse.js';
import { createIgnoreMatcher, parseDockerignore } from './dockerignore.js';
import { resolveStages } from './resolve-stages.js';
import type { CopyStep, RunStep, Step } from './stage-model.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const envOf = (step: Step | undefined): Record<string, string> =>
  Object.fromEntries((step as RunStep).env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

const NODE_APP = `# syntax=docker/dockerfile:1.7
ARG NODE_VERSION=20

FROM node:\${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:\${NODE_VERSION}-alpine AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN npm run build

FROM node:\${NODE_VERSION}-alpine
ENV NODE_ENV=production \\
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=deps /app/node_modules ./node_modules
USER node
EXPOSE \${PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \\
  CMD wget -qO- http://localhost:\${PORT}/health || exit 1
CMD ["node", "dist/server.js"]
`;

describe('a multi-stage Node.js app', () => {
  const nodeConfig = { env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_VERSION=20.11.1', 'YARN_VERSION=1.22.19'], cmd: ['node'], entrypoint: ['docker-entrypoint.sh'] };
  const r = resolveStages(parseDockerfile(NODE_APP, { file: 'Dockerfile' }), {
    platform: amd64,
    buildArgs: { NODE_VERSION: '22' },
    imageConfig: (ref) => (ref.startsWith('node:') ? nodeConfig : undefined),
  });
  const final = r.stages[2]!;

  test('stages, bases and order', () => {
    expect(r.stages.map((s) => [s.displayName, s.base, s.dependsOn])).toEqual([
      ['deps', { kind: 'image', ref: 'node:22-alpine' }, []],
      ['build', { kind: 'image', ref: 'node:22-alpine' }, [0]],
      ['stage-2', { kind: 'image', ref: 'node:22-alpine' }, [0, 1]],
    ]);
    expect(r.order).toEqual([0, 1, 2]);
    expect(r.warnings).toEqual([]);
  });

  test('the final image config', () => {
    expect(final.config).toEqual({
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_VERSION=20.11.1', 'YARN_VERSION=1.22.19', 'NODE_ENV=production', 'PORT=3000'],
      workingDir: '/app',
      user: 'node',
      cmd: ['node', 'dist/server.js'],
      entrypoint: ['docker-entrypoint.sh'],
      exposedPorts: ['3000/tcp'],
      volumes: [],
      labels: {},
      healthcheck: {
        test: ['CMD-SHELL', 'wget -qO- http://localhost:${PORT}/health || exit 1'],
        intervalNs: 30e9,
        timeoutNs: 5e9,
        startPeriodNs: 10e9,
        startIntervalNs: 0,
        retries: 3,
      },
    });
  });

  test('COPY --from with --chown and a relative destination', () => {
    expect(final.steps[2]).toMatchObject({ kind: 'copy', from: { kind: 'stage', index: 1 }, chown: 'node:node', sources: ['/app/dist'], dest: '/app/dist' });
  });

  test('COPY . . in the build stage sees the context through .dockerignore', () => {
    const ignore = createIgnoreMatcher(parseDockerignore('node_modules\n.git\n**/*.log\n!keep.log\nDockerfile\n', { file: '.dockerignore' }));
    const all: SourceEntry[] = [
      { path: '.git', type: 'dir' },
      { path: '.git/HEAD', type: 'file' },
      { path: 'Dockerfile', type: 'file' },
      { path: 'debug.log', type: 'file' },
      { path: 'keep.log', type: 'file' },
      { path: 'node_modules', type: 'dir' },
      { path: 'node_modules/x/index.js', type: 'file' },
      { path: 'package.json', type: 'file' },
      { path: 'src', type: 'dir' },
      { path: 'src/app.log', type: 'file' },
      { path: 'src/server.ts', type: 'file' },
    ];
    const context = all.filter((e) => !ignore(e.path, e.type === 'dir'));
    const copyAll = r.stages[1]!.steps[2] as CopyStep;
    expect(copyAll).toMatchObject({ sources: ['.'], dest: '/app/' });
    const ops = expandCopySources(copyAll, context, { file: 'Dockerfile' });
    expect(ops.map((op) => op.kind === 'path' && `${op.source} -> ${op.dest}`)).toEqual([
      '. -> /app',
      'keep.log -> /app/keep.log',
      'package.json -> /app/package.json',
      'src -> /app/src',
      'src/server.ts -> /app/src/server.ts',
    ]);
  });
});

const PYTHON_APP = `FROM python:3.12-slim

LABEL maintainer="Jane Doe <jane@example.com>" \\
      org.opencontainers.image.source="https://github.com/example/app" \\
      version="1.2.3"

ENV PYTHONDONTWRITEBYTECODE 1
ENV PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=off

RUN set -eux; \\
    apt-get update; \\
    # build dependencies for psycopg
    apt-get install -y --no-install-recommends \\
        gcc \\
        libpq-dev \\
    ; \\
    rm -rf /var/lib/apt/lists/*

WORKDIR /srv/app
COPY requirements*.txt ./
RUN pip install -r requirements.txt
COPY . .
EXPOSE 8000/tcp
STOPSIGNAL SIGINT
ENTRYPOINT ["gunicorn", "--bind", "0.0.0.0:8000", "app.wsgi"]
`;

test('a Python app: labels with quotes, legacy ENV, comments inside a continued RUN', () => {
  const df = parseDockerfile(PYTHON_APP, { file: 'Dockerfile' });
  expect(df.warnings).toEqual([{ line: 7, message: '"ENV key=value" should be used instead of legacy "ENV key value" format' }]);
  const r = resolveStages(df, { platform: amd64 });
  const stage = r.stages[0]!;
  expect(stage.config.labels).toEqual({
    maintainer: 'Jane Doe <jane@example.com>',
    'org.opencontainers.image.source': 'https://github.com/example/app',
    version: '1.2.3',
  });
  expect(stage.config.env).toEqual([
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'PYTHONDONTWRITEBYTECODE=1',
    'PYTHONUNBUFFERED=1',
    'PIP_NO_CACHE_DIR=off',
  ]);
  const apt = stage.steps[3] as RunStep;
  expect(apt).toMatchObject({ line: 11, endLine: 18 });
  expect(apt.argv).toEqual([
    '/bin/sh',
    '-c',
    'set -eux;     apt-get update;     apt-get install -y --no-install-recommends         gcc         libpq-dev     ;     rm -rf /var/lib/apt/lists/*',
  ]);
  expect(stage.config).toMatchObject({ workingDir: '/srv/app', exposedPorts: ['8000/tcp'], stopSignal: 'SIGINT', entrypoint: ['gunicorn', '--bind', '0.0.0.0:8000', 'app.wsgi'] });
  const reqs = expandCopySources(stage.steps[5] as CopyStep, [{ path: 'requirements.txt', type: 'file' }, { path: 'requirements-dev.txt', type: 'file' }, { path: 'app', type: 'dir' }], { file: 'Dockerfile' });
  expect(reqs.map((op) => op.kind === 'path' && op.dest)).toEqual(['/srv/app/requirements-dev.txt', '/srv/app/requirements.txt']);
});

const WINDOWS = `# escape=\`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
ENV APP_HOME=C:\\app
COPY app.zip C:\\temp\\
RUN Expand-Archive -Path C:\\temp\\app.zip -DestinationPath $env:APP_HOME; \`
    Remove-Item C:\\temp\\app.zip
CMD ["C:\\\\app\\\\server.exe"]
`;

test('a Windows-style Dockerfile with the backtick escape: backslashes in paths are plain', () => {
  const df = parseDockerfile(WINDOWS, { file: 'Dockerfile' });
  expect(df.escape).toBe('`');
  expect(df.instructions.map((i) => `${i.kind}@${i.line}`)).toEqual(['from@2', 'shell@3', 'env@4', 'copy@5', 'run@6', 'cmd@8']);
  const r = resolveStages(df, { platform: amd64 });
  const s = r.stages[0]!;
  expect(s.config.env).toContain('APP_HOME=C:\\app');
  expect(s.steps[2]).toMatchObject({ kind: 'copy', sources: ['app.zip'] });
  expect(s.steps[3]).toMatchObject({
    argv: ['powershell', '-Command', "$ErrorActionPreference = 'Stop';", 'Expand-Archive -Path C:\\temp\\app.zip -DestinationPath $env:APP_HOME;     Remove-Item C:\\temp\\app.zip'],
  });
  expect(s.config.cmd).toEqual(['C:\\app\\server.exe']);
});

const GO_CROSS = `FROM --platform=$BUILDPLATFORM golang:1.22 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.* ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -ldflags="-s -w" -o /out/app .

FROM scratch
COPY --from=build /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
`;

test('a cross-compiling Go build: platform args redeclared in the stage', () => {
  const r = resolveStages(parseDockerfile(GO_CROSS, { file: 'Dockerfile' }), { platform: { os: 'linux', architecture: 'arm64' } });
  expect(envOf(r.stages[0]!.steps[5])).toMatchObject({ TARGETOS: 'linux', TARGETARCH: 'arm64' });
  expect(r.stages[1]!.config).toEqual({
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    workingDir: '',
    user: '65532:65532',
    entrypoint: ['/app'],
    exposedPorts: [],
    volumes: [],
    labels: {},
  });
  const goFiles = expandCopySources(r.stages[0]!.steps[2] as CopyStep, [{ path: 'go.mod', type: 'file' }, { path: 'go.sum', type: 'file' }, { path: 'main.go', type: 'file' }], { file: 'Dockerfile' });
  expect(goFiles.map((op) => op.kind === 'path' && op.dest)).toEqual(['/src/go.mod', '/src/go.sum']);
});
