import { describe, expect, it } from 'vitest';
import { parseSshTarget, remoteAsked, sshArgv, shellWord } from './ssh-target.js';
import { sshFailure } from './ssh-failure.js';

describe('ssh targets', () => {
  it.each([
    ['ssh://vm', { host: 'vm' }],
    ['ssh://root@vm', { user: 'root', host: 'vm' }],
    ['ssh://alice@10.0.0.5:2222', { user: 'alice', host: '10.0.0.5', port: 2222 }],
    ['ssh://alice@[::1]:22/', { user: 'alice', host: '::1', port: 22 }],
  ])('%s', (url, parts) => {
    expect(parseSshTarget(url)).toEqual({ url, ...parts });
  });

  it.each(['tcp://vm:2375', 'ssh://', 'ssh://vm:0', 'ssh://vm:70000', 'vm', 'ssh://a@b@c'])('refuses %s', (url) => {
    expect(() => parseSshTarget(url, '--host')).toThrow(`--host=${url}: expected ssh://[user@]host[:port]`);
  });

  it('builds the ssh command line from HAFEN_SSH_COMMAND, with the port and the remote command last', () => {
    const env = { HAFEN_SSH_COMMAND: 'ssh -F /lab/ssh_config' };
    expect(sshArgv(parseSshTarget('ssh://root@vm:2222'), ['-T'], 'hafen system dial-stdio', env)).toEqual(['ssh', '-F', '/lab/ssh_config', '-T', '-p', '2222', 'root@vm', '--', 'hafen system dial-stdio']);
    expect(sshArgv(parseSshTarget('ssh://vm'), ['-N'], undefined, {})).toEqual(['ssh', '-N', 'vm']);
  });

  it('quotes words for the remote shell', () => {
    expect(shellWord('shop-api-1')).toBe('shop-api-1');
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });

  it('sees a remote host asked for before the command line is parsed', () => {
    expect(remoteAsked(['--host', 'ssh://vm', 'up'], {})).toBe(true);
    expect(remoteAsked(['up', '--host=ssh://vm'], {})).toBe(true);
    expect(remoteAsked(['up'], { HAFEN_HOST: 'ssh://vm' })).toBe(true);
    expect(remoteAsked(['up', '-d'], {})).toBe(false);
  });
});

describe('ssh failures name the host and how', () => {
  const target = parseSshTarget('ssh://root@vm');
  it.each([
    ['Host key verification failed.', 255, 'host key not trusted'],
    ['root@vm: Permission denied (publickey).', 255, 'ssh login refused'],
    ['ssh: Could not resolve hostname vm: Name or service not known', 255, 'ssh could not connect'],
    ['ssh: connect to host vm port 22: Connection refused', 255, 'ssh could not connect'],
    ['bash: line 1: hafen: command not found', 127, 'hafen is not installed there'],
  ])('%s', (stderr, code, how) => {
    const err = sshFailure(target, code, stderr, '1.2.3');
    expect(err.message).toMatch(new RegExp(`^remote host ssh://root@vm: ${how}`));
    expect(err.exitCode).toBe(2);
  });
});
