import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '../../scripts/lib/free-ports.js';
import { mosquittoConf } from '../../scripts/lib/system/services.js';
import { SchemaAudit } from './schema-audit.js';

/** One free port on loopback (scripts/lib/free-ports.ts; ask it for several at once when none is bound in between). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

export { mosquittoConf };

/**
 * A real mosquitto on loopback with its own config file; stop it in the
 * test's teardown, so it goes even on failure. Every protocol message on it
 * is checked against the published schemas (`audit`; stop() throws on one
 * they refuse); a benchmark turns that off.
 */
export class Broker {
  #proc: ChildProcess | undefined;
  readonly audit = new SchemaAudit();
  readonly #audited: boolean;
  /** `extra`: more mosquitto.conf lines (a benchmark's broker tuning). */
  constructor(
    readonly port: number,
    private readonly conf: string,
    extra = '',
    opts: { audit?: boolean } = {},
  ) {
    writeFileSync(conf, mosquittoConf(port, '127.0.0.1', extra));
    this.#audited = opts.audit !== false;
  }
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
  /** The broker's process id once started (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  async start(): Promise<void> {
    this.#proc = await startMosquitto(this.conf, this.port);
    if (this.#audited) await this.audit.start(this.url);
  }
  stop(): Promise<void> {
    return stopMosquitto(this.#proc, this.audit);
  }
}

/**
 * Starts mosquitto on a config file and resolves once its port takes a TCP
 * connection; rejects if it exits first or never listens. The process is
 * killed when the test process exits: a test that throws at its top level
 * exits without its teardowns, and the broker must not outlive it.
 */
export async function startMosquitto(conf: string, port: number): Promise<ChildProcess> {
  const p = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const orphaned = () => p.kill('SIGKILL');
  process.once('exit', orphaned);
  p.once('exit', () => process.off('exit', orphaned));
  for (let i = 0; i < 100; i++) {
    const listening = await new Promise<boolean>((r) => {
      const c = tcpConnect(port, '127.0.0.1', () => {
        c.end();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (listening) return p;
    if (p.exitCode !== null) throw new Error(`mosquitto exited with ${p.exitCode}`);
    await sleep(50);
  }
  p.kill('SIGKILL');
  throw new Error('mosquitto did not listen');
}

/** Stops the broker and its schema audit; throws the audit's refusal, if any, once the broker is gone. */
export async function stopMosquitto(p: ChildProcess | undefined, audit: SchemaAudit): Promise<void> {
  // Settled here so its refusal is not an unhandled rejection while the broker exits.
  const audited = audit.stop().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (p && p.exitCode === null && !p.signalCode) {
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  }
  const refused = await audited;
  if (refused) throw refused;
}

export const until = async (what: string, ok: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};
