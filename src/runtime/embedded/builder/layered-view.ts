/**
 * A read-only view of a stack of layer folders as overlayfs would merge them, without mounting
 * anything: whiteouts (char devices 0/0) delete, opaque directories hide what lies below, a
 * non-directory hides a directory below. Symlinks are resolved inside the view's root, never on
 * the host. The builder reads a stage's filesystem (COPY --from, USER names, WORKDIR) through it;
 * a build context is a view of one folder.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { OVERLAY_OPAQUE_XATTR } from '../layers/whiteouts.js';
import { lgetxattr } from '../native.js';

/** Where a path of the view lives: the layer folder that has it, its host path and lstat. */
export interface ViewEntry {
  /** Root-relative, `/`-separated, '' for the root. */
  rel: string;
  abs: string;
  stats: fs.Stats;
}

/** How a symlink that would leave the root is handled: stay inside it (as in a container), or refuse. */
export type EscapePolicy = 'confine' | 'refuse';

const MAX_LINKS = 255;

/** Splits a path (absolute or not) into clean components; `..` is kept for the resolver. */
function parts(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function readOpaque(abs: string): boolean {
  return lgetxattr(abs, OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
}

/** Opacity only matters when there are layers below to hide; one folder (a build context) never asks. */
const noOpaque = (): boolean => false;

/** Options of a view. */
export interface ViewOptions {
  escape?: EscapePolicy;
  name?: string;
  /**
   * The folders do not change while the view is used (committed layers; a build context, read as
   * it was when first looked at): each host path is lstat'ed once, not once per path below it.
   */
  frozen?: boolean;
}

export class LayeredView {
  /** @param layers layer folders, top-most first (an empty list is an empty root) */
  private readonly isOpaque: (abs: string) => boolean;
  /** lstat results by host path (undefined: nothing there), when frozen. */
  private readonly stats: Map<string, fs.Stats | undefined> | undefined;

  constructor(
    readonly layers: readonly string[],
    private readonly opts: ViewOptions = {},
  ) {
    this.isOpaque = layers.length > 1 ? readOpaque : noOpaque;
    this.stats = opts.frozen ? new Map() : undefined;
  }

  private lstatHost(abs: string): fs.Stats | undefined {
    if (!this.stats) return fs.lstatSync(abs, { throwIfNoEntry: false });
    if (this.stats.has(abs)) return this.stats.get(abs);
    const st = fs.lstatSync(abs, { throwIfNoEntry: false });
    this.stats.set(abs, st);
    return st;
  }

  /** The entry at `rel` (symlinks not followed), or undefined when the merged view has nothing there. */
  lstat(rel: string): ViewEntry | undefined {
    const comps = parts(rel);
    const clean = comps.join('/');
    for (const layer of this.layers) {
      if (comps.length === 0) {
        const st = this.lstatHost(layer);
        if (st) return { rel: '', abs: layer, stats: st };
        continue;
      }
      let abs = layer;
      let opaqueAbove = false;
      for (let i = 0; i < comps.length; i++) {
        abs = `${abs}/${comps[i]}`;
        const st = this.lstatHost(abs);
        if (!st) break;
        if (isWhiteout(st)) return undefined;
        if (i === comps.length - 1) return { rel: clean, abs, stats: st };
        if (!st.isDirectory()) return undefined; // a file here hides everything below it
        if (this.isOpaque(abs)) opaqueAbove = true;
      }
      if (opaqueAbove) return undefined; // an opaque directory on the way hides the lower layers
    }
    return undefined;
  }

  /** Names in the directory `rel`, merged over the layers, sorted; [] when it is not a directory. */
  readdir(rel: string): string[] {
    const comps = parts(rel);
    const seen = new Map<string, boolean>(); // name -> exists (false: whited out)
    for (const layer of this.layers) {
      let abs = layer;
      let state: 'present' | 'missing' | 'hidden' = 'present';
      let opaqueAbove = false;
      for (let i = 0; i < comps.length; i++) {
        abs = `${abs}/${comps[i]}`;
        const st = this.lstatHost(abs);
        if (!st) {
          state = 'missing';
          break;
        }
        if (isWhiteout(st) || !st.isDirectory()) {
          state = 'hidden'; // deleted or replaced by a non-directory here: nothing below counts
          break;
        }
        if (i < comps.length - 1 && this.isOpaque(abs)) opaqueAbove = true;
      }
      if (state === 'hidden') break;
      if (state === 'present') {
        for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
          if (seen.has(ent.name)) continue;
          seen.set(ent.name, !(ent.isCharacterDevice() && isWhiteout(fs.lstatSync(`${abs}/${ent.name}`))));
        }
        if (this.isOpaque(abs)) break;
      }
      if (opaqueAbove) break;
    }
    return [...seen].filter(([, exists]) => exists).map(([name]) => name).sort();
  }

  /**
   * Resolves symlinks in `path` inside the root (absolute targets start at the root, `..` stops
   * there), following the last component too unless `followLast` is false. Returns the clean
   * root-relative path, which may not exist. With the 'refuse' policy a link that leaves the root
   * is an error.
   */
  resolve(path: string, followLast = true): string {
    const pending = parts(path);
    const out: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const comp = pending.shift()!;
      if (comp === '..') {
        if (out.length === 0 && this.opts.escape === 'refuse') this.escaped(path);
        out.pop();
        continue;
      }
      const candidate = [...out, comp].join('/');
      if (pending.length === 0 && !followLast) {
        out.push(comp);
        break;
      }
      const entry = this.lstat(candidate);
      if (!entry?.stats.isSymbolicLink()) {
        out.push(comp);
        continue;
      }
      if (++links > MAX_LINKS) throw new RuntimeError(this.opts.name ?? 'image', `too many levels of symbolic links in ${path}`);
      const target = fs.readlinkSync(entry.abs);
      if (target.startsWith('/')) {
        if (this.opts.escape === 'refuse') this.escaped(path, target);
        out.length = 0;
      }
      if (this.opts.escape === 'refuse' && climbsOut(out.length, target)) this.escaped(path, target);
      pending.unshift(...parts(target));
    }
    return out.join('/');
  }

  /** lstat after resolving symlinks on the way (and at the end when `followLast`). */
  stat(path: string, followLast = true): ViewEntry | undefined {
    return this.lstat(this.resolve(path, followLast));
  }

  /** Whether `path` is a directory once symlinks are followed. */
  isDir(path: string): boolean {
    return this.stat(path)?.stats.isDirectory() ?? false;
  }

  /** Reads a small file of the view (e.g. /etc/passwd), following symlinks; undefined when missing. */
  readFile(path: string): string | undefined {
    const entry = this.stat(path);
    if (!entry?.stats.isFile()) return undefined;
    return fs.readFileSync(entry.abs, 'utf8');
  }

  private escaped(path: string, target?: string): never {
    const via = target === undefined ? '' : ` (a symlink points to ${target})`;
    throw new RuntimeError(this.opts.name ?? 'build context', `${path} leads outside ${this.opts.name ?? 'the root'}${via}`);
  }
}

/** Whether a relative link target at depth `depth` climbs above the root. */
function climbsOut(depth: number, target: string): boolean {
  let d = target.startsWith('/') ? 0 : depth;
  for (const p of parts(target)) {
    d += p === '..' ? -1 : 1;
    if (d < 0) return true;
  }
  return false;
}
