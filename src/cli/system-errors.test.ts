import { describe, expect, it } from 'vitest';
import { explainSystemError } from './system-errors.js';

/** An error as Node's net module makes it for a failed connect. */
function connectError(code: string, address: string, port?: number): Error {
  return Object.assign(new Error(`connect ${code} ${address}`), { code, syscall: 'connect', address, ...(port !== undefined ? { port } : {}) });
}

describe('explainSystemError', () => {
  it('explains a Docker engine socket that is forbidden or missing, in one line with what to do', () => {
    expect(explainSystemError(connectError('EACCES', '/var/run/docker.sock'), {})?.message).toBe(
      'cannot use the Docker engine at /var/run/docker.sock: permission denied; add yourself to the docker group (and log in again), or run as root for the embedded runtime',
    );
    expect(explainSystemError(connectError('ENOENT', '/tmp/x.sock'), { DOCKER_HOST: 'unix:///tmp/x.sock' })?.exitCode).toBe(2);
    expect(explainSystemError(connectError('ECONNREFUSED', '10.0.0.5', 2375), { DOCKER_HOST: 'tcp://10.0.0.5:2375' })?.message).toContain('no engine answers at 10.0.0.5:2375 (connection refused)');
  });

  it('leaves other connect failures and other errors alone (a registry, a supervisor socket, a bug)', () => {
    expect(explainSystemError(connectError('ECONNREFUSED', '127.0.0.1', 5000), {})).toBeUndefined();
    expect(explainSystemError(connectError('ENOENT', '/var/lib/hafen/projects/x/supervisor.sock'), {})).toBeUndefined();
    expect(explainSystemError(new TypeError('x is undefined'), {})).toBeUndefined();
    expect(explainSystemError('not an error', {})).toBeUndefined();
  });
});
