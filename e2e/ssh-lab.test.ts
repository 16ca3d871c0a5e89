/**
 * The ssh lab leaves no sshd behind: stop() ends it, and so does the death of the process that
 * started it without calling stop() (a test worker killed or crashed mid-file).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab } from '../src/testing/ssh-lab.js';
import { pidAlive as alive } from '../src/testing/pid-alive.js';
import { repoRoot } from './cli.js';


async function gone(pid: number): Promise<boolean> {
  for (let t0 = Date.now(); Date.now() - t0 < 5000; await sleep(50)) if (!alive(pid)) return true;
  return false;
}

describe.skipIf(unmet(requireSshd()))('the ssh lab', () => {
  it('stops its sshd and removes its folder', async () => {
    const lab = await startSshLab();
    expect(alive(lab.pid)).toBe(true);
    await lab.stop();
    expect(await gone(lab.pid)).toBe(true);
    expect(fs.existsSync(lab.dir)).toBe(false);
  }, 30_000);

  it('takes its sshd along when the process that started it dies without stop()', async () => {
    // A child Node process starts a lab, prints sshd's pid and folder, and exits without stopping it.
    const script = `import(${JSON.stringify(path.join(repoRoot, 'dist/src/testing/ssh-lab.js'))}).then(async ({ startSshLab }) => { const lab = await startSshLab(); console.log(JSON.stringify({ pid: lab.pid, dir: lab.dir })); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const { pid, dir } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { pid: number; dir: string };
    try {
      expect(await gone(pid), `sshd ${pid} outlived the process that started it`).toBe(true);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(unmet(requireRoot(), requireSshd(), requireSshLabNetns()))('the ssh lab in namespaces of its own', () => {
  it('is a host of its own (its links, an empty /run/netns, the machine\'s cgroups) reached through a veth pair; stop() removes the pair and the namespace', async () => {
    const lab = await startSshLab({ netns: '10.243' });
    const links = (): string => spawnSync('ip', ['-br', 'link'], { encoding: 'utf8' }).stdout;
    const netns = (): string => spawnSync('ip', ['netns'], { encoding: 'utf8' }).stdout;
    let hostLink = '';
    try {
      expect(lab.address).toMatch(/^10\.243\.\d+\.2$/);
      // This side of the pair: the link holding the lab's .1.
      const addrs = spawnSync('ip', ['-4', '-br', 'addr'], { encoding: 'utf8' }).stdout.split('\n');
      hostLink = addrs.find((l) => l.includes(` ${lab.address!.replace(/2$/, '1/30')}`))?.split(/[\s@]/)[0] ?? '';
      expect(hostLink).toMatch(/^hsl[0-9a-f]{6}$/);
      const [ssh, ...args] = lab.ssh('ls /sys/class/net; echo --; ls -A /run/netns; echo --; ls /sys/fs/cgroup');
      const r = spawnSync(ssh!, args, { encoding: 'utf8' });
      expect(r.status, r.stderr + lab.log()).toBe(0);
      const [nets, named, cgroups] = r.stdout.split('--\n');
      expect(nets!.split('\n').filter(Boolean).sort()).toEqual(['eth0', 'lo']);
      expect(named!.trim()).toBe('');
      expect(cgroups!.split('\n').filter(Boolean).sort()).toEqual(fs.readdirSync('/sys/fs/cgroup').sort());
      expect(netns()).toMatch(/sshlab-[0-9a-f]{6}/);
    } finally {
      await lab.stop();
    }
    expect(await gone(lab.pid)).toBe(true);
    expect(links()).not.toContain(hostLink);
    expect(netns()).not.toMatch(new RegExp(hostLink.replace('hsl', 'sshlab-')));
  }, 30_000);
});
