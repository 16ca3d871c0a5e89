import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildContext } from './build-context.js';

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-context-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function entries(stream: NodeJS.ReadableStream): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    names.push(`${header.name}${header.type === 'directory' ? '/' : ''} ${header.uid}:${header.gid}`);
    body.on('end', next);
    body.resume();
  });
  await new Promise((resolve, reject) => {
    extract.on('finish', () => resolve(undefined));
    extract.on('error', reject);
    stream.pipe(extract);
  });
  return names;
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('buildContext', () => {
  it('leaves out what .dockerignore says, keeps its exceptions, the Dockerfile and .dockerignore, owned by root', async () => {
    const dir = tree({
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'node_modules\n*.log\nDockerfile\nsecrets/**\n!secrets/public.pem\n',
      'app.js': '',
      'debug.log': '',
      'node_modules/x/index.js': '',
      'secrets/key.pem': '',
      'secrets/public.pem': '',
    });
    const ctx = await buildContext(dir, 'Dockerfile');
    expect(ctx.dockerfile).toBe('Dockerfile');
    expect(await entries(ctx.tar)).toEqual(['.dockerignore 0:0', 'Dockerfile 0:0', 'app.js 0:0', 'secrets/ 0:0', 'secrets/public.pem 0:0']);
  });

  it('sends dockerfile_inline text as a Dockerfile of its own name, the context around it as usual', async () => {
    const dir = tree({ Dockerfile: 'FROM other\n', '.dockerignore': '*.log\n', 'app.js': '', 'debug.log': '' });
    const ctx = await buildContext(dir, 'Dockerfile', 'FROM busybox\nCOPY app.js /\n');
    expect(ctx.dockerfile).toBe('.hafen.inline.Dockerfile');
    expect(await entries(ctx.tar)).toEqual(['.dockerignore 0:0', 'Dockerfile 0:0', 'app.js 0:0', '.hafen.inline.Dockerfile 0:0']);
  });

  it('sends a Dockerfile from outside the context under its own name', async () => {
    const context = tree({ 'app.js': '' });
    const other = tree({ 'web.Dockerfile': 'FROM busybox\n' });
    const ctx = await buildContext(context, path.join(other, 'web.Dockerfile'));
    expect(ctx.dockerfile).toBe('.hafen.Dockerfile');
    expect(await entries(ctx.tar)).toEqual(['app.js 0:0', '.hafen.Dockerfile 0:0']);
  });
});
