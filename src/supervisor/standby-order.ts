/**
 * A supervisor on standby (issue 16): started by `up` while the stack file is still being loaded and
 * checked, before the project may have any state, for the project the command is expected to name
 * (its --root and --project). It loads its modules, then waits on its channel (a socket pair on
 * fd 3) for the order to serve, with the environment the command ends with. Until then it has made
 * nothing; when the channel closes with no order (the checks refused the file, the stack is another
 * runtime's or project's, a supervisor runs already) it exits. The order is one JSON line; `ready`
 * goes back on the same channel once it listens.
 */
import net from 'node:net';

/** The order to serve the project on the command line. */
export interface StandbyOrder {
  /** The command's environment at the time of the order (it may have changed since the spawn). */
  env: Record<string, string>;
}

/** The channel of a standby supervisor: its order, and the `ready` it sends back. */
export interface StandbyChannel {
  /** The order, or undefined when the channel closed without one. */
  readonly order: Promise<StandbyOrder | undefined>;
  /** Says `ready` and lets the channel go. */
  tellReady(): void;
}

/** Listens on descriptor `fd` for the order. */
export function standbyChannel(fd: number): StandbyChannel {
  const socket = new net.Socket({ fd, readable: true, writable: true });
  socket.setEncoding('utf8');
  let text = '';
  const order = new Promise<StandbyOrder | undefined>((resolve) => {
    const onData = (chunk: string): void => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onData);
      try {
        resolve(parseOrder(text.slice(0, end)));
      } catch {
        resolve(undefined);
      }
    };
    socket.on('data', onData);
    socket.once('end', () => resolve(undefined));
    socket.once('close', () => resolve(undefined));
    socket.once('error', () => resolve(undefined));
  });
  return {
    order,
    tellReady() {
      socket.on('error', () => undefined); // the command went away meanwhile: it finds the socket next time
      socket.end('ready\n');
      socket.unref();
    },
  };
}

function parseOrder(line: string): StandbyOrder | undefined {
  const o = JSON.parse(line) as Partial<StandbyOrder>;
  if (typeof o.env !== 'object' || o.env === null) return undefined;
  return { env: o.env };
}

/** Makes `env` this process's environment (keys the command no longer has go). */
export function takeEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}
