import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../config/index.js';
import { formatIssue } from '../errors.js';
import { assertHostSources, createBindSources, hostSourceIssues } from './host-sources.js';

describe('host sources before up', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-host-sources-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = async (lines: string[]) => {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), [...lines, ''].join('\n'));
    return loadStack({ cwd: dir, env: {} });
  };

  it('refuses a missing long-syntax bind source unless create_host_path: true; the short syntax and existing sources pass', async () => {
    fs.mkdirSync(path.join(dir, 'there'));
    const stack = await load([
      'name: t',
      'services:',
      '  web:',
      '    image: host',
      '    volumes:',
      '      - ./short:/short',
      '      - type: bind',
      '        source: ./missing',
      '        target: /missing',
      '      - {type: bind, source: ./made, target: /made, bind: {create_host_path: true}}',
      '      - {type: bind, source: ./there, target: /there}',
      '      - {type: bind, source: ./empty-bind, target: /e, bind: {}}',
    ]);
    expect(hostSourceIssues(stack, ['web']).map(formatIssue)).toEqual([
      'compose.yaml:8:9 services.web.volumes[1].source: bind source ./missing does not exist; create it, or add `bind: {create_host_path: true}` to let up create it (the short syntax ./missing:/missing creates it too)',
      'compose.yaml:12:22 services.web.volumes[4].source: bind source ./empty-bind does not exist; create it, or add `bind: {create_host_path: true}` to let up create it (the short syntax ./empty-bind:/e creates it too)',
    ]);
    expect(() => assertHostSources(stack, ['web'])).toThrow(expect.objectContaining({ code: 'E_CONFIG', exitCode: 2 }));
    // Other services are not looked at.
    expect(hostSourceIssues(stack, [])).toEqual([]);
    // Nothing was made by looking.
    expect(fs.readdirSync(dir).sort()).toEqual(['compose.yaml', 'there']);
  });

  it('makes the short-syntax and create_host_path sources (parents too), says which, and nothing else', async () => {
    fs.mkdirSync(path.join(dir, 'there'));
    const outside = path.join(dir, '..', `${path.basename(dir)}-outside`, 'a');
    const stack = await load([
      'name: t',
      'services:',
      '  web:',
      '    image: host',
      '    volumes:',
      '      - ./data/deep:/data',
      '      - ./there:/there',
      '      - {type: bind, source: ./made, target: /made, bind: {create_host_path: true}}',
      `      - ${outside}:/outside`,
      '      - {type: bind, source: ./refused, target: /refused}',
    ]);
    try {
      expect(createBindSources(stack, ['web'])).toEqual([
        { path: path.join(dir, 'data/deep'), key: 'services.web.volumes[0]' },
        { path: path.join(dir, 'made'), key: 'services.web.volumes[2]' },
        { path: outside, key: 'services.web.volumes[3]' },
      ]);
      expect(fs.statSync(path.join(dir, 'data/deep')).isDirectory()).toBe(true);
      expect(fs.existsSync(path.join(dir, 'refused'))).toBe(false);
      // A second up makes nothing.
      expect(createBindSources(stack, ['web'])).toEqual([]);
    } finally {
      fs.rmSync(path.dirname(outside), { recursive: true, force: true });
    }
  });

  it('refuses an archive that is a device or a FIFO, at the image key; a missing one is left to the import', async () => {
    const fifo = path.join(dir, 'pipe.tar');
    execFileSync('mkfifo', [fifo]);
    const stack = await load([
      'name: t',
      'services:',
      '  zero:',
      '    image: docker-archive:/dev/zero',
      '  pipe:',
      '    image: docker-archive:./pipe.tar:app:1',
      '  layout:',
      '    image: oci:/dev/null',
      '  gone:',
      '    image: docker-archive:./gone.tar',
    ]);
    expect(hostSourceIssues(stack, ['zero', 'pipe', 'layout', 'gone']).map(formatIssue)).toEqual([
      'compose.yaml:4:5 services.zero.image: /dev/zero is a character device; a docker-archive is a regular tar file (what `docker save` writes)',
      `compose.yaml:6:5 services.pipe.image: ${fifo} is a FIFO (named pipe); a docker-archive is a regular tar file (what \`docker save\` writes)`,
      'compose.yaml:8:5 services.layout.image: /dev/null is a character device; an OCI image layout is a directory (oci-layout, index.json, blobs/)',
    ]);
  });
});
