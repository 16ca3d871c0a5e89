/**
 * Malformed input on the command line, command by command and option by option: each is a usage
 * error (exit 2) with one plain line and the help to read, never a stack trace or "a bug in hafen",
 * and nothing is made on the machine (the state root stays empty, no container of the project runs).
 * Compose's forms of the same options are taken as Compose takes them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, stack } from './cli.js';

let dir: string;
let root: string;
const project = `cv${process.pid}`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-cli-values-'));
  root = path.join(dir, 'state');
  fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    image: host\n    command: ["sleep", "60"]\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => stack(['-p', project, ...args], { cwd: dir, env: { HAFEN_ROOT: root, ...env } });

describe('malformed values are usage errors: exit 2, one line, nothing made', () => {
  it.each<[string, string[], string]>([
    ['down -t', ['down', '-t', '1x'], "option '-t, --timeout <seconds>' argument '1x' is invalid"],
    ['stop -t', ['stop', '-t', 'soon'], "option '-t, --timeout <seconds>' argument 'soon' is invalid"],
    ['restart -t', ['restart', '--timeout', '-5'], "option '-t, --timeout <seconds>' argument '-5' is invalid"],
    ['up --wait-timeout', ['up', '-d', '--wait-timeout', 'abc'], "option '--wait-timeout <seconds>' argument 'abc' is invalid"],
    ['logs --tail', ['logs', '--tail', 'ten'], "option '-n, --tail <lines>' argument 'ten' is invalid"],
    ['logs --since', ['logs', '--since', 'yesterday'], "option '--since <time>' argument 'yesterday' is invalid"],
    ['kill -s', ['kill', '-s', 'SIGNOPE'], "option '-s, --signal <signal>' argument 'SIGNOPE' is invalid"],
    ['exec --index', ['exec', '--index', '0', 'app', 'true'], "option '--index <n>' argument '0' is invalid"],
    ['port --index', ['port', '--index', 'x', 'app', '80'], "option '--index <n>' argument 'x' is invalid"],
    ['port PORT', ['port', 'app', 'http'], 'port http: expected a number 1-65535'],
    ['port --protocol', ['port', '--protocol', 'sctp', 'app', '80'], "option '--protocol <protocol>' argument 'sctp' is invalid"],
    ['--runtime', ['--runtime', 'podman', 'up', '-d'], "option '--runtime <runtime>' argument 'podman' is invalid"],
    ['--progress', ['up', '-d', '--progress', 'fancy'], "option '--progress <mode>' argument 'fancy' is invalid"],
    ['a misspelt option', ['up', '--detatch'], "unknown option '--detatch'"],
    ['an unknown command', ['upp'], "unknown command 'upp'"],
    ['an unknown service', ['up', '-d', 'nope'], 'no such service: "nope"'],
    ['--exit-code-from', ['up', '--exit-code-from', 'nope'], '--exit-code-from nope: no such service'],
    ['a missing -f', ['-f', 'missing.yaml', 'up', '-d'], 'missing.yaml: no such file'],
    ['a missing --env-file', ['--env-file', 'none.env', 'up', '-d'], '--env-file none.env: no such file'],
    ['HAFEN_RUNTIME', ['up', '-d'], 'HAFEN_RUNTIME=podman: expected "embedded", "docker" or "swarm"'],
    // Compose's up/down/logs flags (issue 14: up-flags).
    ['up --scale without =', ['up', '-d', '--scale', 'app'], "option '--scale <service=num>' argument 'app' is invalid. expected SERVICE=NUM"],
    ['up --scale negative', ['up', '-d', '--scale', 'app=-1'], "option '--scale <service=num>' argument 'app=-1' is invalid"],
    ['up --scale not a number', ['up', '-d', '--scale', 'app=two'], "option '--scale <service=num>' argument 'app=two' is invalid"],
    ['up --scale unknown service', ['up', '-d', '--scale', 'nope=2'], '--scale nope=2: no such service'],
    ['up --pull', ['up', '-d', '--pull', 'sometimes'], "option '--pull <policy>' argument 'sometimes' is invalid. Allowed choices are always, missing, never."],
    ['up -t', ['up', '-d', '-t', 'soon'], "option '-t, --timeout <seconds>' argument 'soon' is invalid"],
    ['up --attach unknown service', ['up', '--attach', 'nope'], '--attach nope: no such service'],
    ['up --no-attach unknown service', ['up', '--no-attach', 'nope'], '--no-attach nope: no such service'],
    ['up --attach with -d', ['up', '-d', '--attach', 'app'], "option '--attach <service>' cannot be used with option '-d, --detach'"],
    ['up --wait with --abort-on-exit', ['up', '--wait', '--abort-on-exit'], "option '--wait' cannot be used with option '--abort-on-exit'"],
    ['up --no-recreate with --force-recreate', ['up', '-d', '--no-recreate', '--force-recreate'], "option '--no-recreate' cannot be used with option '--force-recreate'"],
    ['up --build with --no-build', ['up', '-d', '--build', '--no-build'], '--build and --no-build cannot be used together'],
    ['down --rmi', ['down', '--rmi', 'some'], "option '--rmi <type>' argument 'some' is invalid. Allowed choices are local, all."],
    ['logs --until', ['logs', '--until', 'tomorrow'], "option '--until <time>' argument 'tomorrow' is invalid"],
    // issue 14: stack events
    ['events --since', ['events', '--since', 'yesterday'], "option '--since <time>' argument 'yesterday' is invalid"],
    ['events --until', ['events', '--json', '--until', 'later'], "option '--until <time>' argument 'later' is invalid"],
    ['events SERVICE', ['events', '--json', 'nope'], 'no such service: "nope"'],
    // issue 14, ps forms and projects: ps --status/--filter/--format, ls --filter/--format.
    ['ps --status', ['ps', '--status', 'sleeping'], "option '--status <status>' argument 'sleeping' is invalid"],
    ['ps --filter', ['ps', '--filter', 'name=app'], "option '--filter <filter>' argument 'name=app' is invalid"],
    ['ps --filter KEY=', ['ps', '--filter', 'status'], "option '--filter <filter>' argument 'status' is invalid"],
    ['ps --format unknown field', ['ps', '--format', '{{.Nmae}}'], "option '--format <format>' argument '{{.Nmae}}' is invalid. unknown field .Nmae"],
    ['ps --format unclosed', ['ps', '--format', 'table {{.Name'], "option '--format <format>' argument 'table {{.Name' is invalid"],
    ['ps --format action', ['ps', '--format', '{{range .Labels}}'], "option '--format <format>' argument '{{range .Labels}}' is invalid"],
    ['ps --json --format', ['ps', '--json', '--format', '{{.Name}}'], '--json and --format: use one of them'],
    ['ls --format', ['ls', '--format', 'yaml'], "option '--format <format>' argument 'yaml' is invalid"],
    ['ls --filter', ['ls', '--filter', 'status=running'], "option '--filter <filter>' argument 'status=running' is invalid"],
    ['HAFEN_PROJECT', ['ps'], 'HAFEN_PROJECT="Bad Name": not a valid project name'],
    // help, completion and the image commands (issue 14)
    ['completion SHELL', ['completion', 'tcsh'], "value 'tcsh' is invalid for argument 'shell'"],
    ['completion without a shell', ['completion'], "missing required argument 'shell'"],
    ['images --format', ['images', '--format', 'yaml'], "option '--format <format>' argument 'yaml' is invalid"],
    ['image save --format', ['image', 'save', '--format', 'tar', 'app', '-o', 'app.tar'], "option '--format <format>' argument 'tar' is invalid"],
    ['image save without -o', ['image', 'save', 'app'], 'name the file to write with -o FILE'],
    ['image load of a missing file', ['image', 'load', 'missing.tar'], 'missing.tar does not exist'],
    ['image load of a device', ['image', 'load', '/dev/zero'], '/dev/zero is a character device'],
    ['an unknown image subcommand', ['image', 'rm', 'app'], "too many arguments for 'image'"],
    ['rmi without an image', ['rmi'], "missing required argument 'images'"],
    // Container commands: pause, unpause, top, cp, wait, stats.
    ['cp without a colon', ['cp', 'a.txt', 'b.txt'], 'cp: one side must be SERVICE:PATH'],
    ['cp between containers', ['cp', 'app:/a', 'app:/b'], 'cp: copying between containers is not supported'],
    ['cp with no path in the container', ['cp', 'app:', '.'], 'cp: no path after app:'],
    ['cp to stdout', ['cp', 'app:/etc/hosts', '-'], 'cp: tar streams on stdin/stdout ("-") are not supported'],
    ['cp an unknown service', ['cp', 'nope:/etc/hosts', '.'], 'no such service: "nope"'],
    ['cp --index', ['cp', '--index', '0', 'app:/etc/hosts', '.'], "option '--index <n>' argument '0' is invalid"],
    ['cp --index not a number', ['cp', '--index', 'two', './x', 'app:/tmp'], "option '--index <n>' argument 'two' is invalid"],
    ['cp with one argument', ['cp', 'app:/etc/hosts'], "missing required argument 'dest'"],
    ['pause an unknown service', ['pause', 'nope'], 'no such service: "nope"'],
    ['unpause an unknown service', ['unpause', 'nope'], 'no such service: "nope"'],
    ['top an unknown service', ['top', 'nope'], 'no such service: "nope"'],
    ['wait with no service', ['wait'], "missing required argument 'services'"],
    ['wait an unknown service', ['wait', 'nope'], 'no such service: "nope"'],
    ['stats --format', ['stats', '--format', 'yaml'], "option '--format <format>' argument 'yaml' is invalid"],
    ['stats an unknown service', ['stats', '--no-stream', 'nope'], 'no such service: "nope"'],
    // Compose's command-line habits (cli-gaps): rm, create, scale, run's flags.
    ['rm an unknown service', ['rm', '-f', 'nope'], 'no such service: "nope"'],
    ['rm a misspelt flag', ['rm', '--forse'], "unknown option '--forse'"],
    ['create an unknown service', ['create', 'nope'], 'no such service: "nope"'],
    ['create --pull', ['create', '--pull', 'sometimes'], "option '--pull <policy>' argument 'sometimes' is invalid"],
    ['create --no-recreate with --force-recreate', ['create', '--no-recreate', '--force-recreate'], "option '--no-recreate' cannot be used with option '--force-recreate'"],
    ['create --build with --no-build', ['create', '--build', '--no-build'], '--build and --no-build cannot be used together'],
    ['scale without =', ['scale', 'app'], 'app: expected SERVICE=NUM'],
    ['scale a negative number', ['scale', 'app=-1'], 'app=-1: expected SERVICE=NUM'],
    ['scale an unknown service', ['scale', 'nope=2'], 'nope=2: no such service'],
    ['scale nothing', ['scale'], "missing required argument 'service=num'"],
    ['run -p', ['run', '-p', 'bad', 'app', 'true'], '--publish bad: "bad" is not a container port'],
    ['run -v of an undeclared volume', ['run', '-v', 'nosuch:/x', 'app', 'true'], '--volume nosuch:/x: the volume "nosuch" is not in the file\'s volumes:'],
    ['run -l', ['run', '-l', '=x', 'app', 'true'], '--label =x: expected KEY=VALUE'],
    ['run --entrypoint', ['run', '--entrypoint', 'sh "-c', 'app'], '--entrypoint sh "-c:'],
    ['run --pull', ['run', '--pull', 'sometimes', 'app'], "option '--pull <policy>' argument 'sometimes' is invalid"],
    ['run -d with --rm', ['run', '-d', '--rm', 'app'], "option '-d, --detach' cannot be used with option '--rm'"],
    // issue 18: stack push.
    ['push --registry', ['push', '--registry', 'not a host'], 'stack push --registry "not a host" is not a registry HOST[:PORT]'],
    ['push --registry with a scheme', ['push', '--registry', 'http://localhost:5000'], 'give HOST[:PORT] without a scheme'],
    ['push --registry without a value', ['push', '--registry'], "option '--registry <host>' argument missing"],
    ['push an unknown service', ['push', '--registry', 'localhost:5000', 'nope'], 'no such service: "nope"'],
    // issue 19: a remote host over ssh.
    ['--host not ssh', ['--host', 'tcp://vm:2375', 'up', '-d'], '--host=tcp://vm:2375: expected ssh://[user@]host[:port]'],
    ['--host with a bad port', ['ps', '--host', 'ssh://root@vm:99999'], '--host=ssh://root@vm:99999: expected ssh://[user@]host[:port]'],
    // issue 20: snapshots and resets.
    ['snapshot without a name', ['snapshot'], "missing required argument 'name'"],
    ['snapshot a bad name', ['snapshot', 'a/b'], 'snapshot name "a/b"'],
    ['snapshot an unknown service', ['snapshot', 's1', 'nope'], 'no such service: "nope"'],
    ['snapshot --stop -t', ['snapshot', 's1', '--stop', '-t', 'soon'], "option '-t, --timeout <seconds>' argument 'soon' is invalid"],
    ['snapshot ls --format', ['snapshot', 'ls', '--format', 'yaml'], "option '--format <format>' argument 'yaml' is invalid"],
    ['snapshot rm without a name', ['snapshot', 'rm'], "missing required argument 'names'"],
    ['reset without a name', ['reset'], "missing required argument 'name'"],
    ['reset a bad name', ['reset', '../x'], 'snapshot name "../x"'],
    ['reset -t', ['reset', 's1', '-t', 'soon'], "option '-t, --timeout <seconds>' argument 'soon' is invalid"],
    ['reset an unknown service', ['reset', 's1', 'nope'], 'no such service: "nope"'],
    ['reset an unknown snapshot', ['reset', 'nosuch'], 'no snapshot "nosuch"'],
    ['up --from-snapshot without a name', ['up', '-d', '--from-snapshot'], "option '--from-snapshot <name>' argument missing"],
  ])('%s', (what, args, message) => {
    const r = what === 'HAFEN_PROJECT' ? stack(args, { cwd: dir, env: { HAFEN_ROOT: root, HAFEN_PROJECT: 'Bad Name' } }) : run(args, what === 'HAFEN_RUNTIME' ? { HAFEN_RUNTIME: 'podman' } : {});
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toContain(message);
    expect(lines[0]).toMatch(/^error: /);
    // At most the one line, a "did you mean", and the help to read; each once.
    expect(lines.length, r.stderr).toBeLessThanOrEqual(3);
    expect(new Set(lines).size).toBe(lines.length);
    expect(r.stderr).not.toMatch(/a bug in hafen|^\s+at /m);
    // Nothing was made: no project state, no running container of the project.
    expect(fs.existsSync(path.join(root, 'projects', project))).toBe(false);
  });

  it('points to the help of the command given, not of an option value', () => {
    expect(run(['-f', 'missing.yaml', 'up', '--bogus']).stderr).toContain('(see `stack up --help`)');
    expect(run(['--bogus']).stderr).toContain('(see `stack --help`)');
    expect(run(['image', 'save', '--bogus']).stderr).toContain('(see `stack image save --help`)');
  });
});

describe("Compose's forms of the same options", () => {
  it('takes -t as whole seconds and as a duration, and --tail all', () => {
    for (const t of ['1', '0', '90', '1m30s', '500ms']) expect(run(['down', '-t', t]).code, t).toBe(0);
    expect(run(['logs', '--tail', 'all']).code).toBe(0);
    expect(run(['kill', '-s', '9']).code).toBe(0);
    expect(run(['kill', '-s', 'hup']).code).toBe(0);
  });

  it('prints the version as `stack version` and --format json', () => {
    const plain = run(['version']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^hafen version \d+\.\d+\.\d+/);
    const json = JSON.parse(run(['version', '--format', 'json']).stdout) as { version: string };
    expect(json.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(run(['version', '--short']).stdout.trim()).toBe(json.version);
  });
});

describe('an engine that cannot be reached or used is the machine\'s setup, said in one line', () => {
  it('names a missing Docker socket and what to do (exit 2)', () => {
    const r = run(['--runtime', 'docker', 'ps'], { DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: no engine answers at ${path.join(dir, 'no-such.sock')} (no such socket); start dockerd, set DOCKER_HOST to the engine, or use --runtime embedded`);
  });

  it('names a forbidden Docker socket for a user outside the docker group (exit 2)', (ctx) => {
    if (process.getuid?.() !== 0 || !fs.existsSync('/var/run/docker.sock')) return ctx.skip();
    // Another user (nobody) must be able to read the CLI and enter the folder; a private checkout cannot be tested so.
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-nobody-'));
    try {
      fs.chmodSync(open, 0o755);
      fs.writeFileSync(path.join(open, 'compose.yaml'), 'services:\n  app:\n    image: host\n');
      const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(cliPath)})`]);
      if (probe.status !== 0) return ctx.skip();
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--', cliPath, '--runtime', 'docker', 'ps'], {
        cwd: open,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: open, NO_COLOR: '1', DOCKER_HOST: 'unix:///var/run/docker.sock' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe('error: cannot use the Docker engine at /var/run/docker.sock: permission denied; add yourself to the docker group (and log in again), or run as root for the embedded runtime');
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  });
});
