/**
 * Test helpers: stand-in containers and programs run inside them. A stand-in is what the launcher
 * makes, minus the rest: a process in a network namespace of its own (`unshare --net sleep`), whose
 * pid names the namespace. Its death takes the namespace along; nothing is bound in /run/netns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process in a network namespace of its own. */
export interface NetnsProcess {
  pid: number;
  /** Kills it and waits until it is gone. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Starts `unshare --net sleep 600` and waits until it is in its new namespace. */
export async function spawnNetns(): Promise<NetnsProcess> {
  const child = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  const pid = child.pid!;
  const mine = fs.readlinkSync('/proc/self/ns/net');
  for (let i = 0; ; i++) {
    let ns: string | undefined;
    try {
      ns = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      // Not there yet, or already failed.
    }
    if (ns && ns !== mine) break;
    if (i > 1000 || child.exitCode !== null) throw new Error(`unshare --net did not make a namespace (pid ${pid})`);
    await sleep(2);
  }
  return {
    pid,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** How a command ended. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command inside the namespace of `pid`, killed after `timeoutMs`. */
export function runIn(pid: number, argv: string[], timeoutMs = 5000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

/** A program running in the background inside a namespace. */
export interface Background {
  stop(): Promise<void>;
}

const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const [host, port] = process.argv.slice(1);
let ready = 0;
const up = () => ++ready === 2 && console.log('ready');
net.createServer({ allowHalfOpen: true }, (s) => {
  const chunks = [];
  s.on('data', (d) => chunks.push(d));
  s.on('end', () => s.end('echo:' + Buffer.concat(chunks).toString()));
  s.on('error', () => {});
}).listen(Number(port), host, up);
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send('echo:' + m, r.port, r.address));
u.bind(Number(port), host, up);
`;

/**
 * Starts an echo server on `host:port` inside the namespace of `pid`, TCP and UDP: TCP answers
 * `echo:<everything the client sent>` once the client has half-closed; UDP answers each datagram.
 */
export async function startEchoServer(pid: number, host: string, port: number): Promise<Background> {
  const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', SERVER, host, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`echo server exited (${code}): ${err}`)));
  });
  return {
    stop: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

const CLIENT = `
const net = require('node:net');
const [host, port, timeout] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: Number(timeout), allowHalfOpen: true });
const chunks = [];
s.on('connect', () => s.end('hello'));
s.on('data', (d) => chunks.push(d));
s.on('end', () => { console.log(Buffer.concat(chunks).toString()); process.exit(0); });
s.on('timeout', () => { console.log('ETIMEDOUT'); process.exit(1); });
s.on('error', (e) => { console.log(e.code); process.exit(1); });
`;

/** Connects from inside the namespace of `pid` to `host:port` over TCP: `echo:hello`, or an error code. */
export async function tcpTry(pid: number, host: string, port: number, timeoutMs = 1000): Promise<string> {
  const r = await runIn(pid, [process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)], timeoutMs + 3000);
  return r.stdout || `exit ${r.code}: ${r.stderr}`;
}

/** Pings `host` once from inside the namespace of `pid` (busybox); true when it answered. */
export async function pingOnce(pid: number, host: string): Promise<boolean> {
  const r = await runIn(pid, ['busybox', 'ping', '-c', '1', '-W', '1', host]);
  return r.code === 0;
}
