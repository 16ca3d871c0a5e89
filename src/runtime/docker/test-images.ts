/**
 * Small images for tests and benchmarks on a Docker engine, made from this machine without a
 * registry (`docker import`): `hafen-test/busybox` (Debian's busybox-static, the same rootfs as the
 * embedded test image) and `hafen-test/node` (that plus this machine's node and its libraries).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { makeBusyboxRootfs } from '../embedded/launcher/busybox-rootfs.js';
import { isNotFound } from './docker-errors.js';

export const TEST_BUSYBOX = 'hafen-test/busybox:latest';
export const TEST_NODE = 'hafen-test/node:latest';

/** Imports the busybox test image unless the engine has it; returns its name. */
export function importBusyboxImage(docker: Docker, name = TEST_BUSYBOX): Promise<string> {
  return importRootfs(docker, name, ['ENV PATH=/bin', 'CMD ["sh"]'], () => undefined);
}

/** Imports busybox plus this machine's node binary and the libraries it links; returns its name. */
export function importNodeImage(docker: Docker, name = TEST_NODE): Promise<string> {
  return importRootfs(docker, name, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'], (dir) => {
    const node = fs.realpathSync(process.execPath);
    const libs = execFileSync('ldd', [node], { encoding: 'utf8' })
      .split('\n')
      .flatMap((l) => /(\/\S+) \(0x/.exec(l)?.slice(1) ?? []);
    for (const file of [...libs, node]) {
      const target = path.join(dir, file === node ? '/usr/bin/node' : file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(file, target);
      fs.chmodSync(target, 0o755);
    }
    fs.writeFileSync(path.join(dir, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
  });
}

async function importRootfs(docker: Docker, name: string, changes: string[], extra: (dir: string) => void): Promise<string> {
  try {
    await docker.getImage(name).inspect();
    return name;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-docker-image-'));
  try {
    makeBusyboxRootfs(dir);
    extra(dir);
    const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const colon = name.lastIndexOf(':');
    const stream = await docker.importImage(tar.stdout as unknown as string, { repo: name.slice(0, colon), tag: name.slice(colon + 1), changes });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve(undefined))));
    return name;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
