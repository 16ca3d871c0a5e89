/**
 * A minimal rootfs made of Debian's busybox-static (`apt-get install busybox-static`): /bin/busybox,
 * one symlink per applet, and small /etc/passwd and /etc/group. For tests and benchmarks.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The host's busybox binary, if installed. */
export function findBusybox(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', 'busybox');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Fills `dir` with a busybox rootfs (a user `app` 1000:1000 in group `app` and `staff`). */
export function makeBusyboxRootfs(dir: string): void {
  const busybox = findBusybox();
  if (!busybox) throw new Error('busybox is not installed (Debian: apt-get install busybox-static)');
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777); // mkdir's mode goes through the umask: any user may write here
  fs.copyFileSync(busybox, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
  }
  fs.writeFileSync(
    path.join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n');
}
