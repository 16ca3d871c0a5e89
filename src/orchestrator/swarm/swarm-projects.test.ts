import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgetSwarmProject, isSwarmProject, rememberSwarmProject, swarmManagerOf } from './swarm-projects.js';

describe('swarm projects remembered by this machine', () => {
  it('are known from up until down, by one file under the state root', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-projects-'));
    try {
      expect(isSwarmProject('shop', root)).toBe(false);
      rememberSwarmProject('shop', 'unix:///run/m.sock', root);
      expect(isSwarmProject('shop', root)).toBe(true);
      expect(isSwarmProject('other', root)).toBe(false);
      expect(fs.readFileSync(path.join(root, 'swarm-projects', 'shop'), 'utf8')).toBe('unix:///run/m.sock\n');
      // The manager up used, for a command without DOCKER_HOST; DOCKER_HOST wins.
      expect(swarmManagerOf('shop', {}, root)).toEqual({ docker: 'unix:///run/m.sock' });
      expect(swarmManagerOf('shop', { DOCKER_HOST: 'tcp://other:2375' }, root)).toEqual({});
      expect(swarmManagerOf('other', {}, root)).toEqual({});
      forgetSwarmProject('shop', root);
      forgetSwarmProject('shop', root); // twice: no error
      expect(isSwarmProject('shop', root)).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
