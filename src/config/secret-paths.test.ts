/** Messages about values that may be secret name the place and what is wrong, never the text. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack } from './index.js';
import { mayBeSecret } from './secret-paths.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function errorOf(files: Record<string, string>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secret-paths-'));
  made.push(dir);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  const err = await loadStack({ cwd: dir, env: {} }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}

describe('secret values in messages', () => {
  it.each([
    ['services.db.environment.PASSWORD', true],
    ['services.db.environment', true],
    ['configs.app.content', true],
    ['services.db.command', false],
    ['services.db.labels.x', false],
  ])('%s may be secret: %s', (p, secret) => expect(mayBeSecret(p)).toBe(secret));

  it('a bad interpolation in environment (both forms) and in a config\'s content is named, not quoted', async () => {
    const text = [
      'configs: {app: {content: "key=$${ok} s3cretC${oops"}}',
      'services:',
      '  db:',
      '    image: host',
      '    environment: {PASSWORD: "s3cretA${x"}',
      '  api:',
      '    image: host',
      '    environment: ["TOKEN=s3cretB${"]',
      '    command: echo ${shown',
      '',
    ].join('\n');
    const message = await errorOf({ 'stack.yaml': text });
    expect(message).not.toMatch(/s3cret/);
    expect(message).toContain('services.db.environment.PASSWORD: invalid interpolation at character 8: "${" has no closing "}"');
    expect(message).toContain('configs.app.content: invalid interpolation at character 19');
    expect(message).toMatch(/services\.api\.environment\[0\]: invalid interpolation at character 14/);
    // Elsewhere the text still helps find the mistake.
    expect(message).toContain('services.api.command: invalid interpolation "${shown": no closing "}"');
  });

  it('an env_file that is a shadow file is refused by file:line, without its lines', async () => {
    const shadow = 'root:$6$salt$H4shOfTheRootPassw0rd:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n';
    const message = await errorOf({ 'stack.yaml': 'services:\n  web:\n    image: host\n    env_file: ./shadow\n', shadow });
    expect(message.split('\n')).toEqual([
      'shadow:1:5 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
      'shadow:2:4 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown',
    ]);
  });
});
