/** Writes a planned COPY/ADD (copy-plan.ts) into the step's upper dir. */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { extractArchive } from './archive.js';
import type { CopyPlan } from './copy-plan.js';
import type { UpperWriter } from './upper-writer.js';
import type { Owner } from './user-lookup.js';

export interface WriteCopyOptions {
  /** Owner of everything written: `--chown`, else 0:0. */
  owner: Owner;
  /** `--chmod` for files and directories. */
  chmod?: number;
  /** Image paths that are the host's, read-only (images built FROM host): nothing may be copied there. */
  readOnly?: readonly string[];
}

/** Creates every action of `plan` in the writer's upper dir. */
export async function writeCopy(plan: CopyPlan, writer: UpperWriter, opts: WriteCopyOptions): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const { owner, chmod } = opts;
  for (const action of plan.actions) {
    const rel = writer.resolve(action.dest, action.kind !== 'symlink');
    checkWritable(action.dest, rel, opts.readOnly ?? []);
    switch (action.kind) {
      case 'dir':
        writer.dir(rel, { mode: chmod ?? action.stats.mode & 0o7777, owner, mtime: seconds(action.stats) }, action.top ?? false);
        break;
      case 'file':
        writer.file(rel, { abs: action.abs }, { mode: chmod ?? action.stats.mode & 0o7777, owner, mtime: seconds(action.stats) });
        break;
      case 'symlink':
        writer.symlink(rel, fs.readlinkSync(action.abs), { owner, mtime: seconds(action.stats) });
        break;
      case 'inline':
        writer.file(rel, { content: action.file.content }, { mode: action.file.mode, owner, mtime: now });
        break;
      case 'extract':
        writer.ensureDir(rel, owner);
        await extractArchive(action.abs, writer.abs(rel));
        break;
      default: {
        const never: never = action;
        throw new Error(`unhandled copy action ${JSON.stringify(never)}`);
      }
    }
  }
  writer.finish();
}

function seconds(st: fs.Stats): number {
  return Math.floor(st.mtimeMs / 1000);
}

/** Refuses a destination inside a read-only host directory, where the file would be hidden at run time. */
function checkWritable(dest: string, rel: string, readOnly: readonly string[]): void {
  const path = `/${rel}`;
  const hit = readOnly.find((p) => path === p || path.startsWith(`${p}/`));
  if (hit !== undefined) {
    throw new RuntimeError(
      dest,
      `${hit} comes read-only from the host in images built FROM host, so nothing can be copied into it; copy to another place (e.g. /app or /opt)`,
    );
  }
}
