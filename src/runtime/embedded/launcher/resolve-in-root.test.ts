/**
 * Mount targets inside the container's root, resolved by openat2(RESOLVE_IN_ROOT) and by the
 * launcher's own walk where the kernel has no openat2 (native/hafen-run-resolve.c; forced here with
 * HAFEN_RUN_WITHOUT=openat2): on the same hostile rootfs and targets both land at the same place
 * inside the root, or refuse with the same words, and nothing outside the root is made or changed.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { hafenRunCommand } from './hafen-run-path.js';
import { runArgv } from './spec.js';

const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'));

/** How the launcher resolves paths inside the root: the kernel's openat2, or its own walk. */
const MODES = { openat2: {}, walk: { HAFEN_RUN_WITHOUT: 'openat2' } } as const;

/** ELOOP in the words of musl (the x64 launcher) or glibc (the arm64 one). */
const ELOOP = '(Symbolic link loop|Too many levels of symbolic links)';

/** What a user sees: the launcher's exit code and the container's (or the launcher's) words. */
interface Outcome {
  code: number | null;
  out: string;
  err: string;
}

describe.skipIf(needs)('hafen-run: mount targets resolved inside the root, with and without openat2', () => {
  let base: string;
  let lower: string;
  // A host folder the hostile links point at (named before the rows are, which is at collection).
  const outside = path.join(os.tmpdir(), `hafen-resolve-outside-${process.pid}`);
  let n = 0;
  const shadowHash = (): string => (fs.existsSync('/etc/shadow') ? crypto.createHash('sha256').update(fs.readFileSync('/etc/shadow')).digest('hex') : 'none');
  let shadowBefore: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-resolve-'));
    lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
    fs.mkdirSync(path.join(outside, 't'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'shadow'), 'host secret\n');
    fs.mkdirSync(path.join(base, 'data'));
    fs.writeFileSync(path.join(base, 'data', 'marker'), 'data\n');
    fs.writeFileSync(path.join(base, 'file-source'), 'bound file\n');
    shadowBefore = shadowHash();
  });
  afterAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  /**
   * One row: the hostile things in the image (`image` writes them into a fresh upper dir, as an
   * image layer would), the bind (a dir, or with `file` the file source), and either the path
   * inside the container where the bound data shows (`lands`) or the launcher's refusal (`refused`).
   */
  interface Row {
    name: string;
    image: (upper: string) => void;
    target: string;
    file?: boolean;
    lands?: string;
    refused?: RegExp;
  }
  const link = (upper: string, at: string, to: string): void => {
    fs.mkdirSync(path.dirname(path.join(upper, at)), { recursive: true });
    fs.symlinkSync(to, path.join(upper, at));
  };
  const rows = (): Row[] => [
    { name: 'an absolute symlink to a host folder', image: (u) => link(u, 'abs', outside), target: '/abs/sub', lands: `${outside}/sub` },
    { name: 'a relative ../../.. chain out of the root', image: (u) => link(u, 'rel', `../../../../../../../..${outside}`), target: '/rel/sub', lands: `${outside}/sub` },
    { name: '`..` in the target itself, clamped at the root', image: () => {}, target: `/../../../..${outside}/dots`, lands: `${outside}/dots` },
    { name: 'a symlink to /etc/shadow as a file target', image: (u) => link(u, 'etc/pw', '/etc/shadow'), target: '/etc/pw', file: true, lands: '/etc/shadow' },
    { name: 'a symlink to a host file as a file target', image: (u) => link(u, 'etc/pw', `${outside}/shadow`), target: '/etc/pw', file: true, lands: `${outside}/shadow` },
    { name: 'a symlink in the middle of the target path', image: (u) => (fs.mkdirSync(path.join(u, 'deep/real'), { recursive: true }), link(u, 'mid', '/deep/real')), target: '/mid/inner', lands: '/deep/real/inner' },
    { name: 'a target that is itself a symlink to outside the root', image: (u) => link(u, 'target', `${outside}/t`), target: '/target', lands: `${outside}/t` },
    { name: 'a dangling absolute symlink', image: (u) => link(u, 'dang', '/nonexistent-hafen/d'), target: '/dang', lands: '/nonexistent-hafen/d' },
    { name: 'a symlink loop', image: (u) => (link(u, 'loop1', 'loop2'), link(u, 'loop2', '/loop1')), target: '/loop1/x', refused: new RegExp(String.raw`^hafen-run: resolve /loop1/x in the rootfs: ${ELOOP}$`) },
    {
      name: 'a chain of 41 symlinks (one past the limit)',
      image: (u) => {
        for (let i = 0; i < 41; i++) link(u, `c${i}`, `c${i + 1}`);
        fs.mkdirSync(path.join(u, 'c41'));
      },
      target: '/c0/x',
      refused: new RegExp(String.raw`^hafen-run: resolve /c0/x in the rootfs: ${ELOOP}$`),
    },
    {
      name: 'a chain of 39 symlinks (within the limit)',
      image: (u) => {
        for (let i = 0; i < 39; i++) link(u, `c${i}`, `c${i + 1}`);
        fs.mkdirSync(path.join(u, 'c39'));
      },
      target: '/c0/x',
      lands: '/c39/x',
    },
    { name: 'a file in the middle of the target path', image: (u) => fs.writeFileSync(path.join(u, 'plain'), ''), target: '/plain/x', refused: /^hafen-run: resolve \/plain\/x in the rootfs: Not a directory$/ },
    { name: "a magic link of the container's /proc", image: () => {}, target: '/proc/self/root/tmp/x', refused: new RegExp(String.raw`^hafen-run: resolve /proc/self/root/tmp/x in the rootfs: ${ELOOP}$`) },
  ];

  function run(row: Row, env: Record<string, string>): Outcome {
    const dir = path.join(base, `c${++n}`);
    const upper = path.join(dir, 'upper');
    for (const d of [upper, path.join(dir, 'work')]) fs.mkdirSync(d, { recursive: true });
    row.image(upper);
    const source = row.file ? path.join(base, 'file-source') : path.join(base, 'data');
    const probe = row.lands ? (row.file ? row.lands : `${row.lands}/marker`) : '/';
    const argv = runArgv({
      rootfs: { kind: 'overlay', lower: [lower], upper, work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') },
      binds: [{ source, target: row.target }],
      command: ['/bin/cat', probe],
    });
    const r = spawnSync(...hafenRunCommand(argv), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
    return { code: r.status, out: r.stdout, err: r.stderr.trim() };
  }

  it.each(rows().map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const got = Object.fromEntries(Object.entries(MODES).map(([mode, env]) => [mode, run(row, env)]));
    // Both ways agree, and agree with what RESOLVE_IN_ROOT means.
    expect(got.walk).toEqual(got.openat2);
    if (row.lands) expect(got.openat2, row.lands).toEqual({ code: 0, out: row.file ? 'bound file\n' : 'data\n', err: '' });
    else {
      expect(got.openat2!.code).toBe(125);
      expect(got.openat2!.err).toMatch(row.refused!);
    }
    // Nothing outside the root was made or changed.
    expect(fs.readdirSync(outside).sort()).toEqual(['shadow', 't']);
    expect(fs.readdirSync(path.join(outside, 't'))).toEqual([]);
    expect(fs.readFileSync(path.join(outside, 'shadow'), 'utf8')).toBe('host secret\n');
    expect(fs.existsSync('/nonexistent-hafen')).toBe(false);
    expect(shadowHash()).toBe(shadowBefore);
  });
});
