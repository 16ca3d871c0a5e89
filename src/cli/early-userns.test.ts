import { describe, expect, it } from 'vitest';
import { namedFiles, needsNamespaceCommand } from './early-userns.js';
import { isLoopbackHost } from '../runtime/embedded/rootless/host-loopback-relay.js';

describe('which commands move into the user namespace', () => {
  it('those that make, change or enter containers or write the image store; not those that only look', () => {
    const moving = ['up', 'down', 'run', 'exec', 'start', 'stop', 'restart', 'kill', 'build', 'pull', 'rmi', 'prune', 'image', 'dash', 'events', 'pause', 'unpause', 'cp', 'push', 'rm', 'create', 'scale', 'snapshot', 'reset'];
    const staying = ['ps', 'port', 'config', 'logs', 'top', 'stats', 'wait', 'ls', 'images', 'plan', 'version', 'completion', undefined];
    expect(moving.filter((c) => !needsNamespaceCommand(c))).toEqual([]);
    expect(staying.filter((c) => needsNamespaceCommand(c))).toEqual([]);
    expect(needsNamespaceCommand('wait', ['wait', '--down-project', 'job'])).toBe(true); // it takes the project down
    expect(needsNamespaceCommand('wait', ['wait', 'job'])).toBe(false);
  });
});

describe('the host loopback relay', () => {
  it('relays only loopback names and addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) expect(`${h} ${isLoopbackHost(h)}`).toBe(`${h} true`);
    for (const h of ['10.0.2.2', 'registry.example.com', '0.0.0.0', '128.0.0.1', '[::]']) expect(`${h} ${isLoopbackHost(h)}`).toBe(`${h} false`);
  });
});

describe('the stack files the early move reads', () => {
  it('are the common -f, not a command\'s own -f after its name', () => {
    expect(namedFiles(['-f', 'a.yaml', 'logs', '-f', 'api'])).toEqual(['a.yaml']);
    expect(namedFiles(['rm', '-f', 'api', '--file', 'b.yaml'])).toEqual(['b.yaml']);
    expect(namedFiles(['up', '-f', 'c.yaml', '--file=d.yaml'])).toEqual(['c.yaml', 'd.yaml']);
  });
});
