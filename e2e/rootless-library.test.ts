/**
 * The library (`import { up } from 'hafen'`) for a user without root (issue 17): a Node process
 * cannot join the user's namespaces the way the `stack` command moves into them (it re-runs itself
 * there, which a library must not do to its host process), so `up()` on the embedded runtime
 * refuses with one error naming what to do, and makes nothing: no namespace holder, no state, no
 * process of the user's left. Run as the test user `hafen-rootless` on the built package (dist/).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireRootlessUser } from '../src/testing/rootless-user.js';
import { repoRoot } from './cli.js';
import { userScenario, type UserScenario } from './rootless-scenario.js';

describe.skipIf(unmet(requireRoot(), requireCommand('busybox'), requireRootlessUser()))('rootless: the library as a user without root', () => {
  const project = `rlib${randomBytes(3).toString('hex')}`;
  let s: UserScenario;

  beforeAll(() => {
    s = userScenario('hafen-rlib-', '10.214.0.0/16:24');
    s.write('stack.yaml', `name: ${project}\nservices:\n  box:\n    image: host\n    command: ["sleep", "60"]\n`);
    s.write(
      'use-up.mjs',
      [
        `import { up } from ${JSON.stringify(path.join(repoRoot, 'dist/index.js'))};`,
        'try {',
        "  const env = await up({ file: 'stack.yaml' });",
        "  console.log('started');",
        '  await env.down();',
        '} catch (err) {',
        '  console.log(JSON.stringify({ name: err.constructor.name, code: err.code, message: err.message }));',
        '}',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => s?.remove());

  it('up() refuses in one error naming what to do, and leaves nothing of the user', () => {
    const r = s.exec(process.execPath, ['use-up.mjs']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'RuntimeError',
      code: 'E_RUNTIME',
      message:
        "user namespace: the embedded runtime for a user without root runs inside the user's namespaces, which only the `stack` command enters; from a library, run the `stack` command (e.g. `stack up -d --wait` as a child process), use runtime: docker, or run as root",
    });
    expect(s.holder()).toBeUndefined();
    expect(s.leftovers(project, undefined)).toEqual([]);
    expect(fs.existsSync(path.join(s.dataRoot, 'projects', project))).toBe(false);
  });
});
