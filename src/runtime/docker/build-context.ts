/**
 * The build context as the docker CLI sends it: a tar of the context folder without what
 * .dockerignore leaves out (the same parser the embedded builder uses), owned by root, with the
 * Dockerfile always in it, under its own name when it lives outside the context.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { createIgnoreMatcher, loadDockerignore, type IgnoreMatcher } from '../embedded/build/index.js';

/** A context ready to send: the tar stream and the Dockerfile's path inside it. */
export interface BuildContext {
  tar: NodeJS.ReadableStream;
  dockerfile: string;
}

/** Name of a Dockerfile from outside the context, inside the tar. */
const OUTSIDE_DOCKERFILE = '.hafen.Dockerfile';
/** Name of a Dockerfile given as text (`dockerfile_inline`), inside the tar. */
export const INLINE_DOCKERFILE = '.hafen.inline.Dockerfile';

/**
 * Tars `contextDir` for a build of `dockerfile` (relative to the context, or absolute), or of
 * `inline`, the Dockerfile's text, which goes into the tar under a name of its own.
 */
export async function buildContext(contextDir: string, dockerfile: string, inline?: string): Promise<BuildContext> {
  if (inline !== undefined) return inlineContext(path.resolve(contextDir), inline);
  const context = path.resolve(contextDir);
  const dockerfilePath = path.resolve(context, dockerfile);
  const rel = path.relative(context, dockerfilePath);
  const outside = rel.startsWith('..') || path.isAbsolute(rel);
  const ignored = createIgnoreMatcher(await loadDockerignore(context, { dockerfile: dockerfilePath }));
  const always = new Set(outside ? ['.dockerignore'] : [rel.split(path.sep).join('/'), '.dockerignore']);
  const pack = tar.pack();
  const fill = async () => {
    await addTree(pack, context, '', ignored, always);
    if (outside) await addFile(pack, dockerfilePath, OUTSIDE_DOCKERFILE, fs.statSync(dockerfilePath));
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return { tar: pack as unknown as NodeJS.ReadableStream, dockerfile: outside ? OUTSIDE_DOCKERFILE : rel.split(path.sep).join('/') };
}

async function inlineContext(context: string, text: string): Promise<BuildContext> {
  const ignored = createIgnoreMatcher(await loadDockerignore(context));
  const pack = tar.pack();
  const fill = async () => {
    await addTree(pack, context, '', ignored, new Set(['.dockerignore']));
    const body = Buffer.from(text);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: INLINE_DOCKERFILE, type: 'file', size: body.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, body, (err) => (err ? reject(err) : resolve())),
    );
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return { tar: pack as unknown as NodeJS.ReadableStream, dockerfile: INLINE_DOCKERFILE };
}

async function addTree(pack: tar.Pack, root: string, rel: string, ignored: IgnoreMatcher, always: Set<string>): Promise<void> {
  const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    const abs = path.join(root, relPath);
    const stat = fs.lstatSync(abs);
    const skip = ignored(relPath, stat.isDirectory()) && !always.has(relPath);
    if (stat.isDirectory()) {
      if (!skip) await entryOf(pack, { name: relPath, type: 'directory', mode: stat.mode & 0o7777, mtime: stat.mtime });
      if (!skip || ignored.mayReinclude(relPath)) await addTree(pack, root, relPath, ignored, always);
    } else if (skip) {
      continue;
    } else if (stat.isSymbolicLink()) {
      await entryOf(pack, { name: relPath, type: 'symlink', linkname: fs.readlinkSync(abs), mode: stat.mode & 0o7777, mtime: stat.mtime });
    } else if (stat.isFile()) {
      await addFile(pack, abs, relPath, stat);
    }
  }
}

async function addFile(pack: tar.Pack, abs: string, name: string, stat: fs.Stats): Promise<void> {
  const entry = pack.entry({ name, type: 'file', size: stat.size, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 });
  await pipeline(fs.createReadStream(abs), entry);
}

function entryOf(pack: tar.Pack, header: Parameters<tar.Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ uid: 0, gid: 0, ...header }, (err) => (err ? reject(err) : resolve())));
}
