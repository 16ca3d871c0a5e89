/**
 * Crafted tars that try to write outside the target (CVE-2018-15664, CVE-2019-14271,
 * CVE-2021-30465 and friends). Each runs in a fresh base dir holding `target/` and a sibling
 * `outside/` with a sentinel; afterwards nothing outside `target/` may differ, and the host's
 * /etc/passwd must be untouched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { snapshotTree } from '../../../testing/tree-snapshot.js';
import { applyLayer, type AppliedLayer } from './apply-layer.js';
import { LayerError } from './layer-error.js';

type Entry = Partial<tarStream.Header> & { name: string; body?: string };

function tar(entries: Entry[]): Readable {
  const pack = tarStream.pack();
  for (const { body, ...header } of entries) pack.entry({ mode: 0o644, ...header }, body ?? '');
  pack.finalize();
  return Readable.from(pack);
}

const HOST_PATHS = ['/etc/evil', '/etc/passwd-hafen-test', '/evil', '/x', '/tmp/evil', '/tmp/x'];
const passwd = () => {
  const st = fs.statSync('/etc/passwd');
  return { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, nlink: st.nlink, size: st.size, content: fs.readFileSync('/etc/passwd', 'utf8') };
};

let base: string;
let target: string;
let before: { outside: unknown; passwd: unknown };

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-hostile-'));
  target = path.join(base, 'target');
  fs.mkdirSync(target);
  fs.mkdirSync(path.join(base, 'outside/dir'), { recursive: true });
  fs.writeFileSync(path.join(base, 'outside/sentinel'), 'untouched');
  for (const p of HOST_PATHS) expect(fs.existsSync(p), `${p} exists before the test`).toBe(false);
  before = { outside: snapshotTree(base, { exclude: ['target'] }), passwd: passwd() };
});

afterEach(() => {
  try {
    // The point of every test: nothing outside the target changed.
    const created = HOST_PATHS.filter((p) => fs.existsSync(p));
    for (const p of created) fs.rmSync(p, { force: true }); // undo, so one failure does not cascade
    expect(created, 'created on the host').toEqual([]);
    expect(snapshotTree(base, { exclude: ['target'] })).toEqual(before.outside);
    expect(passwd()).toEqual(before.passwd);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

async function refused(entries: Entry[], message: RegExp): Promise<LayerError> {
  const err = await applyLayer(tar(entries), target).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LayerError);
  expect((err as LayerError).code).toBe('E_LAYER');
  expect((err as Error).message).toMatch(message);
  return err as LayerError;
}
const applied = (entries: Entry[]): Promise<AppliedLayer> => applyLayer(tar(entries), target);
const inTarget = (rel: string) => path.join(target, rel);

describe.skipIf(unmet(requireRoot()))('hostile layer tars', () => {
  it('refuses ../evil, naming the entry', async () => {
    const err = await refused([{ name: '../evil', body: 'x' }], /points outside the layer root/);
    expect(err.entry).toBe('../evil');
    expect(err.message).toContain('"../evil"');
    expect(fs.existsSync(path.join(base, 'evil'))).toBe(false);
  });

  it('refuses a/../../evil', async () => {
    await refused([{ name: 'a/', type: 'directory' }, { name: 'a/../../evil', body: 'x' }], /"a\/..\/..\/evil".*outside the layer root/);
  });

  it('confines absolute names: /etc/evil lands in target/etc/evil', async () => {
    await applied([{ name: '/etc/evil', body: 'confined' }]);
    expect(fs.readFileSync(inTarget('etc/evil'), 'utf8')).toBe('confined');
  });

  it('keeps a harmless a/../b inside: it is b', async () => {
    await applied([{ name: 'a/../b', body: 'b' }]);
    expect(fs.readFileSync(inTarget('b'), 'utf8')).toBe('b');
  });

  it('refuses to write through a symlink to /: a -> / then a/etc/passwd-hafen-test', async () => {
    await refused(
      [{ name: 'a', type: 'symlink', linkname: '/' }, { name: 'a/etc/passwd-hafen-test', body: 'pwned' }],
      /"a\/etc\/passwd-hafen-test": a is a symlink; refusing to follow it/,
    );
    expect(fs.readlinkSync(inTarget('a'))).toBe('/'); // kept verbatim, harmless inside the container
  });

  it('refuses to write through a relative symlink climbing out: a -> ../../.. then a/x, and a -> ../outside then a/sentinel', async () => {
    await refused([{ name: 'a', type: 'symlink', linkname: '../../..' }, { name: 'a/x', body: 'x' }], /a is a symlink/);
    await refused([{ name: 'b', type: 'symlink', linkname: '../outside' }, { name: 'b/sentinel', body: 'pwned' }], /b is a symlink/);
  });

  it('refuses a symlink deeper in the path: d/l -> / then d/l/etc/evil', async () => {
    await refused([{ name: 'd/', type: 'directory' }, { name: 'd/l', type: 'symlink', linkname: '/' }, { name: 'd/l/etc/evil', body: 'x' }], /d\/l is a symlink/);
  });

  it('refuses whiteouts and opaque markers through a symlink (they would replace or mark outside files)', async () => {
    await refused([{ name: 'l', type: 'symlink', linkname: '../outside' }, { name: 'l/.wh.sentinel' }], /l is a symlink/);
    await refused([{ name: 'm', type: 'symlink', linkname: '../outside/dir' }, { name: 'm/.wh..wh..opq' }], /m is a symlink/);
    await refused([{ name: '.wh...' }], /malformed whiteout/);
  });

  it('keeps a hardlink to /etc/passwd inside the root: refused when the layer has no etc/passwd', async () => {
    await refused([{ name: 'h', type: 'link', linkname: '/etc/passwd' }], /hardlink target etc\/passwd is not in this layer/);
  });

  it('keeps a hardlink to /etc/passwd inside the root: linked to the layer\'s own etc/passwd', async () => {
    await applied([{ name: 'etc/passwd', body: 'layer passwd' }, { name: 'h', type: 'link', linkname: '/etc/passwd' }]);
    expect(fs.statSync(inTarget('h')).ino).toBe(fs.statSync(inTarget('etc/passwd')).ino);
  });

  it('refuses a hardlink to ../../outside/sentinel', async () => {
    await refused([{ name: 'h', type: 'link', linkname: '../../outside/sentinel' }], /outside the layer root/);
    await refused([{ name: 'h', type: 'link', linkname: '../outside/sentinel' }], /outside the layer root/);
  });

  it('refuses a hardlink through a symlink: l -> ../outside then h => l/sentinel, and l2 -> /etc then h => l2/passwd', async () => {
    await refused([{ name: 'l', type: 'symlink', linkname: '../outside' }, { name: 'h', type: 'link', linkname: 'l/sentinel' }], /l is a symlink/);
    await refused([{ name: 'l2', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'link', linkname: 'l2/passwd' }], /l2 is a symlink/);
  });

  it('a directory entry replaces a symlink to outside, and what follows goes into the new directory', async () => {
    await applied([
      { name: 'd', type: 'symlink', linkname: '../outside' },
      { name: 'd/', type: 'directory', mode: 0o755 },
      { name: 'd/sentinel', body: 'inside' },
    ]);
    expect(fs.lstatSync(inTarget('d')).isDirectory()).toBe(true);
    expect(fs.readFileSync(inTarget('d/sentinel'), 'utf8')).toBe('inside');
  });

  it('a file replaces a symlink to outside, from the same tar or already in the target, never writing through it', async () => {
    fs.symlinkSync(path.join(base, 'outside/sentinel'), inTarget('pre'));
    fs.mkdirSync(inTarget('predir'));
    fs.symlinkSync('/etc', inTarget('predir/l'));
    await applied([
      { name: 'f', type: 'symlink', linkname: '../outside/sentinel' },
      { name: 'f', body: 'pwned?' },
      { name: 'pre', body: 'replaced' },
      { name: 'predir/l', body: 'replaced too' },
    ]);
    expect(fs.readFileSync(inTarget('f'), 'utf8')).toBe('pwned?');
    expect(fs.lstatSync(inTarget('f')).isFile()).toBe(true);
    expect(fs.readFileSync(inTarget('pre'), 'utf8')).toBe('replaced');
    expect(fs.readFileSync(inTarget('predir/l'), 'utf8')).toBe('replaced too');
  });

  it('refuses a symlink already in the target used as a parent', async () => {
    fs.symlinkSync(path.join(base, 'outside'), inTarget('pre'));
    await refused([{ name: 'pre/sentinel', body: 'pwned' }], /pre is a symlink/);
    await refused([{ name: 'pre/new/', type: 'directory' }], /pre is a symlink/);
  });

  it('a file over a hardlink replaces the name, not the shared content', async () => {
    await applied([
      { name: 'etc/passwd', body: 'original' },
      { name: 'h', type: 'link', linkname: 'etc/passwd' },
      { name: 'h', body: 'rewritten' },
    ]);
    expect(fs.readFileSync(inTarget('etc/passwd'), 'utf8')).toBe('original');
    expect(fs.readFileSync(inTarget('h'), 'utf8')).toBe('rewritten');
  });

  it('a device or fifo entry over a symlink to outside replaces the symlink', async () => {
    await applied([
      { name: 'p', type: 'symlink', linkname: '../outside/sentinel' },
      { name: 'p', type: 'fifo', mode: 0o600 },
      { name: 'w', type: 'symlink', linkname: '../outside/sentinel' },
      { name: '.wh.w' },
    ]);
    expect(fs.lstatSync(inTarget('p')).isFIFO()).toBe(true);
    expect(fs.lstatSync(inTarget('w')).isCharacterDevice()).toBe(true);
  });

  it('refuses to replace the layer root with a non-directory', async () => {
    await refused([{ name: './', type: 'symlink', linkname: '/' }], /only a directory can stand for the layer root/);
    await refused([{ name: '.', body: 'x' }], /only a directory/);
    await refused([{ name: '/', type: 'fifo' }], /only a directory/);
  });
});
