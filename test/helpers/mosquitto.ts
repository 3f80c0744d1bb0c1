import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { mosquittoConf } from '../../scripts/lib/system/services.js';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export { mosquittoConf };

/** A real mosquitto on loopback with its own config file; stop it in the test's teardown, so it goes even on failure. */
export class Broker {
  #proc: ChildProcess | undefined;
  /** `extra`: more mosquitto.conf lines (a benchmark's broker tuning). */
  constructor(readonly port: number, private readonly conf: string, extra = '') {
    writeFileSync(conf, mosquittoConf(port, '127.0.0.1', extra));
  }
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
  /** The broker's process id once started (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  async start(): Promise<void> {
    const p = spawn('/usr/sbin/mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    this.#proc = p;
    for (let i = 0; i < 100; i++) {
      if (await new Promise<boolean>((r) => { const c = tcpConnect(this.port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); })) return;
      if (p.exitCode !== null) throw new Error(`mosquitto exited with ${p.exitCode}`);
      await sleep(50);
    }
    throw new Error('mosquitto did not listen');
  }
  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  }
}

export const until = async (what: string, ok: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};
