/** Where the embedded runtime keeps its state: /var/lib/hafen (root), the user's data folder (rootless), or HAFEN_ROOT. */
import fs from 'node:fs';
import path from 'node:path';
import { userDataRoot } from '../rootless/rootless-paths.js';
import { isRootless } from '../rootless/user-namespace.js';

/** The folders of one store; all inside `root`, which is mode 0700 (only its owner drives hafen). */
export interface StorePaths {
  root: string;
  /** Content-addressed blobs: `blobs/sha256/<hex>` (layer tars, manifests, configs). */
  blobs: string;
  /** Unpacked layers by ChainID: `layers/<hex>/diff` plus `layers/<hex>/layer.json`. */
  layers: string;
  /** Tags: one file per image name, holding its manifest digest. */
  refs: string;
  /** Build cache: one file per cache key, naming the result of a build step. */
  cache: string;
  /** Work in progress; anything here after a crash is garbage, never trusted. */
  tmp: string;
}

/**
 * The state root: HAFEN_ROOT if set, else /var/lib/hafen for the host's root, else (a user
 * without root, also inside hafen's user namespace where it is uid 0) $XDG_DATA_HOME/hafen.
 */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, rootless: boolean = isRootless()): string {
  if (env.HAFEN_ROOT) return path.resolve(env.HAFEN_ROOT);
  return rootless ? userDataRoot(env) : '/var/lib/hafen';
}

/** The store's folders under `root`, created (0700) when missing. */
export function storePaths(root: string): StorePaths {
  const p: StorePaths = {
    root,
    blobs: path.join(root, 'images/blobs/sha256'),
    layers: path.join(root, 'images/layers'),
    refs: path.join(root, 'images/refs'),
    cache: path.join(root, 'images/cache'),
    tmp: path.join(root, 'images/tmp'),
  };
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  fs.chmodSync(root, 0o700);
  for (const dir of [p.blobs, p.layers, p.refs, p.cache, p.tmp]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return p;
}
