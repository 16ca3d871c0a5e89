import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnTs } from '../../../testing/ts-child.js';
import { Ledger } from '../ledger/ledger.js';
import { readProcStat } from '../process-info.js';
import { lockFile, lockProject, ProjectLockedError } from './project-lock.js';
import { containerPaths, createContainerDir, ledgerFile, openProjectLedger, projectDir, removeProjectDir } from './project-paths.js';

let root: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-state-'));
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

function mode(p: string): string {
  return (fs.statSync(p).mode & 0o777).toString(8);
}

describe('project state folders', () => {
  it('keeps a project under <root>/projects/<project>, mode 0700, with its ledger inside', () => {
    const ledger = openProjectLedger(root, 'shop');
    expect(projectDir(root, 'shop')).toBe(path.join(root, 'projects', 'shop'));
    expect(ledger.file).toBe(path.join(root, 'projects', 'shop', 'ledger.jsonl'));
    expect([mode(root), mode(path.join(root, 'projects')), mode(projectDir(root, 'shop'))]).toEqual(['700', '700', '700']);
  });

  it('makes a container folder after writing it to the ledger', () => {
    const ledger = openProjectLedger(root, 'shop');
    const paths = containerPaths(root, 'shop', 'db-1');
    createContainerDir(ledger, paths, 'db-1');
    expect(paths.dir).toBe(path.join(root, 'projects/shop/containers/db-1'));
    expect(path.relative(paths.dir, paths.resolvConf)).toBe('resolv.conf');
    expect(ledger.live()).toEqual([{ resource: { kind: 'dir', path: paths.dir }, owner: 'db-1' }]);
    expect([paths.upper, paths.work, paths.rootfs, paths.logs].every((d) => fs.statSync(d).isDirectory())).toBe(true);
    expect(mode(paths.dir)).toBe('700');
  });

  it('refuses names that would leave their folder', () => {
    expect(() => projectDir(root, '../etc')).toThrow(/not a usable project name/);
    expect(() => containerPaths(root, 'shop', '..')).toThrow(/not a usable container name/);
    expect(() => containerPaths(root, 'shop', 'a/b')).toThrow(/not a usable container name/);
  });

  it('removes the project folder only once its ledger names nothing live', () => {
    const ledger = openProjectLedger(root, 'shop');
    ledger.add({ kind: 'dir', path: path.join(projectDir(root, 'shop'), 'containers/x') });
    expect(() => removeProjectDir(root, 'shop')).toThrow(/still names 1 resources/);
    ledger.remove({ kind: 'dir', path: path.join(projectDir(root, 'shop'), 'containers/x') });
    removeProjectDir(root, 'shop');
    expect(fs.existsSync(projectDir(root, 'shop'))).toBe(false);
    expect(new Ledger(ledgerFile(root, 'shop')).live()).toEqual([]);
  });
});

/** Starts a process that takes the lock and holds it; resolves with it once it holds it. */
async function holder(project: string): Promise<ChildProcess> {
  const child = spawnTs(path.join(import.meta.dirname, 'fixtures/hold-lock.ts'), [root, project], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

describe('project lock', () => {
  it('refuses a second locker, naming the project and the holder, until the first releases', async () => {
    const first = await lockProject(root, 'shop');
    const refused = await lockProject(root, 'shop').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProjectLockedError);
    expect((refused as ProjectLockedError).holderPid).toBe(process.pid);
    expect((refused as Error).message).toMatch(new RegExp(`^project shop: .*pid ${process.pid}`));
    first.release();
    const second = await lockProject(root, 'shop');
    second.release();
    expect(fs.existsSync(lockFile(root, 'shop'))).toBe(false);
  });

  it('locks projects independently', async () => {
    using a = await lockProject(root, 'shop');
    using b = await lockProject(root, 'shop-2');
    expect([a.project, b.project]).toEqual(['shop', 'shop-2']);
  });

  it('is refused to another process while held, and taken over once the holder was SIGKILLed', async () => {
    const child = await holder('shop');
    await expect(lockProject(root, 'shop')).rejects.toThrow(`another stack command (pid ${child.pid})`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    using lock = await lockProject(root, 'shop');
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toEqual({ pid: process.pid, startTime: readProcStat(process.pid)!.startTime });
  }, 20_000);

  it('takes over a lock whose pid is gone or names another process now', async () => {
    fs.mkdirSync(path.join(root, 'projects'), { recursive: true });
    fs.writeFileSync(lockFile(root, 'shop'), JSON.stringify({ pid: process.pid, startTime: '1' }));
    (await lockProject(root, 'shop')).release();
    fs.writeFileSync(lockFile(root, 'shop'), JSON.stringify({ pid: 2 ** 22 + 1, startTime: '1' }));
    (await lockProject(root, 'shop')).release();
  });

  it('release leaves alone a lock that is not its own any more', async () => {
    const lock = await lockProject(root, 'shop');
    fs.rmSync(lock.file);
    fs.writeFileSync(lock.file, JSON.stringify({ pid: 1, startTime: readProcStat(1)!.startTime }));
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(true);
  });
});
