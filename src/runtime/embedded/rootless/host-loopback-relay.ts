/**
 * The relay of the host's loopback for a command inside the user's namespaces (host-loopback.ts
 * says why): run by the command's outer process, in the host's network namespace. Its own module,
 * with only `net`, so the outer process loads little.
 *
 *   connect(socket) → "HOST PORT\n" → "ok\n" | "error CODE\n" → the TCP stream, as is
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Names the relay's socket in the environment of the command inside the namespaces. */
export const HOST_LOOPBACK_ENV = 'HAFEN_HOST_LOOPBACK';

/** Whether `host` (as a URL has it: brackets around IPv6) is a loopback name or address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A running relay. */
export interface HostLoopbackRelay {
  socket: string;
  close(): void;
}

/** Starts the relay on a socket in `dir` (the outer process, in the host's network namespace). */
export async function startHostLoopbackRelay(dir: string): Promise<HostLoopbackRelay> {
  const socket = path.join(dir, `loopback-${process.pid}.sock`);
  fs.rmSync(socket, { force: true });
  const open = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    conn.on('error', () => conn.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(0x0a);
      if (end < 0) {
        if (head.length > 512) conn.destroy();
        return;
      }
      conn.off('data', onData);
      conn.pause();
      const [host = '', port = ''] = head.subarray(0, end).toString().split(' ');
      const rest = head.subarray(end + 1);
      if (!isLoopbackHost(host) || !/^\d{1,5}$/.test(port)) {
        conn.end('error EACCES\n');
        return;
      }
      const target = net.connect({ host: host.replace(/^\[|\]$/g, ''), port: Number(port) });
      open.add(target);
      target.once('connect', () => {
        conn.write('ok\n');
        if (rest.length > 0) target.write(rest);
        conn.pipe(target).on('error', () => conn.destroy());
        target.pipe(conn);
        conn.resume();
      });
      target.on('error', (err: NodeJS.ErrnoException) => {
        if (target.connecting) conn.end(`error ${err.code ?? 'ECONNREFUSED'}\n`);
        else conn.destroy();
      });
      target.on('close', () => {
        open.delete(target);
        conn.end();
      });
      conn.on('close', () => target.destroy());
    };
    conn.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  fs.chmodSync(socket, 0o600);
  server.unref(); // the command's end decides when this process exits
  return {
    socket,
    close: () => {
      server.close();
      for (const s of open) s.destroy();
      fs.rmSync(socket, { force: true });
    },
  };
}
