import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { userNamespaceRefused } from './userns-attempt.js';

describe('userNamespaceRefused', () => {
  it('says what unshare said when the namespace is refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-userns-attempt-'));
    const fake = path.join(dir, 'unshare');
    fs.writeFileSync(fake, '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
    try {
      expect(userNamespaceRefused(fake)).toBe('making a user namespace fails (unshare --user: unshare failed: Operation not permitted)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says nothing when unshare is not there to try (the runtime\'s own steps say what fails)', () => {
    expect(userNamespaceRefused('/nonexistent/unshare')).toBeUndefined();
  });

  it.skipIf(unmet(requireRoot()))('says nothing where root makes one', () => {
    expect(userNamespaceRefused()).toBeUndefined();
  });
});
