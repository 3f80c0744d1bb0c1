import { spawn, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { ExecResult } from './types.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Quotes argv for `bash -c`. */
export const shellJoin = (argv: readonly string[]): string => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/** Runs a command to its end; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a command that ignores stdin may close it early
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

/** Like run, but a non-zero exit is an error carrying the command's stderr. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/**
 * argv for node in a namespace, without the caller's NODE_OPTIONS: tap's
 * spawn hook puts its --import loaders there, which slows every node start
 * several times over. `env` execs, so the pid stays node's.
 */
export const nodeIn = (ns: string, script: string, ...args: string[]): string[] => [
  'netns',
  'exec',
  ns,
  'env',
  '-u',
  'NODE_OPTIONS',
  process.execPath,
  script,
  ...args,
];

/**
 * Starts a command in its own session with output appended to logFile, so it
 * outlives the CLI that started it. Resolves with the child once spawned.
 */
export function startLogged(cmd: string, args: readonly string[], logFile: string, extra: SpawnOptions = {}) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { ...extra, stdio: ['ignore', fd, fd], detached: true });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs a self-daemonising command (dnsmasq, udhcpc, iperf3 -D) and waits for
 * the foreground parent only: its daemon keeps the log fd open, so waiting for
 * the streams to close would wait forever.
 */
export function runDaemon(cmd: string, args: readonly string[], logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = startLogged(cmd, args, logFile);
    child.ref(); // keep this process alive until the foreground parent is done
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function killAndWait(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 5000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  await waitFor(`pids ${pids.join(',')} to exit`, timeoutMs, () => (pids.some(isAlive) ? undefined : true), 10);
}
