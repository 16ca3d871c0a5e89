/**
 * The CLI's end of an attached run on the embedded runtime (`stack run`): the container's launcher
 * is the supervisor's child, not ours, so this process's stdin, stdout and stderr travel to it as
 * fds. `hafen-run attach-serve` (native/hafen-run-attach.c) listens on a socket in a fresh private
 * folder, hands them to the launcher that connects (`attach PATH` before its `go`), passes terminal
 * resizes on, and ends when the container has.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../../../errors.js';
import { hafenRunCommand } from './hafen-run-path.js';

/** A listening helper: give `socket` to the start; `close()` ends it and takes its folder away. */
export interface AttachHelper {
  readonly socket: string;
  /** Resolves once the helper has ended (the launcher closed its connection: the container ended). */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** Starts the helper with this process's stdio and resolves once it listens. */
export async function serveAttach(): Promise<AttachHelper> {
  // A short path (sun_path holds 107 bytes), in a folder only this user can enter.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-attach-'));
  const socket = path.join(dir, 's');
  const [bin, argv] = hafenRunCommand(['attach-serve', socket]);
  const child = spawn(bin, argv, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await ended;
    remove();
  };
  const ready = await new Promise<boolean>((resolve) => {
    const out = child.stdio[3] as Readable;
    let text = '';
    out.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('ready\n')) resolve(true);
    });
    out.once('end', () => resolve(text.includes('ready\n')));
    child.once('error', () => resolve(false));
  });
  if (!ready) {
    await close();
    throw new RuntimeError('attach', 'the terminal helper (hafen-run attach-serve) did not start');
  }
  return { socket, ended, close };
}
