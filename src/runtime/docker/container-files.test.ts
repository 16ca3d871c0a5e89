/** Secrets, configs, logging, annotations, runtime and reservations in Docker's create request, and the tar of copied files. */
import { describe, expect, it } from 'vitest';
import tarStream from 'tar-stream';
import { Readable } from 'node:stream';
import { Sensitive } from '../../config/model.js';
import { defaultContainerSpec } from '../spec-defaults.js';
import { Label, type ContainerFile } from '../runtime.js';
import { copiedFiles, filesArchive } from './container-files.js';
import { createRequest } from './create-options.js';

const files: ContainerFile[] = [
  { what: 'secret pw', target: '/run/secrets/pw', source: { kind: 'file', path: '/srv/pw.txt' } },
  { what: 'secret key', target: '/run/secrets/key', source: { kind: 'data', data: new Sensitive('the-key') }, uid: 1000, gid: 1000, mode: 0o400 },
  { what: 'config app', target: '/app.conf', source: { kind: 'data', data: new Sensitive('a=1') } },
];

describe('secrets and configs on Docker', () => {
  it('binds a plain host file read-only and passes the other keys as written; no data in the request', () => {
    const spec = defaultContainerSpec('shop', 'api-1', {
      image: 'busybox',
      labels: { [Label.project]: 'shop' },
      files,
      logging: { driver: 'json-file', options: { 'max-size': '1k', 'max-file': '2' } },
      annotations: { 'com.example.a': '1' },
      ociRuntime: 'runsc',
      memoryReservation: 64 << 20,
      deviceRequests: [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }],
      platform: 'linux/amd64',
    });
    const { options } = createRequest(spec, 'busybox');
    expect(options.HostConfig?.Mounts).toEqual([{ Type: 'bind', Source: '/srv/pw.txt', Target: '/run/secrets/pw', ReadOnly: true }]);
    expect(options.HostConfig).toMatchObject({
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } },
      Annotations: { 'com.example.a': '1' },
      Runtime: 'runsc',
      MemoryReservation: 64 << 20,
      DeviceRequests: [{ Driver: 'nvidia', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }],
    });
    expect((options as Record<string, unknown>).platform).toBe('linux/amd64');
    expect(JSON.stringify(options)).not.toContain('the-key');
  });

  it('copies data in as a tar with owner and mode (0444 and root by default)', async () => {
    const { files: copied, keepOwners } = copiedFiles(files);
    expect(copied.map((f) => f.what)).toEqual(['secret key', 'config app']);
    expect(keepOwners).toBe(true);
    const entries: { name: string; mode?: number; uid?: number; gid?: number; text: string }[] = [];
    const extract = tarStream.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({ name: header.name, mode: header.mode, uid: header.uid, gid: header.gid, text: Buffer.concat(chunks).toString() });
        next();
      });
    });
    const done = new Promise<void>((resolve) => extract.on('finish', () => resolve()));
    Readable.from(await filesArchive(copied)).pipe(extract);
    await done;
    expect(entries).toEqual([
      { name: 'run/secrets/key', mode: 0o400, uid: 1000, gid: 1000, text: 'the-key' },
      { name: 'app.conf', mode: 0o444, uid: 0, gid: 0, text: 'a=1' },
    ]);
  });
});
