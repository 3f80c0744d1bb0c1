import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import * as tb from '../testbed/index.js';
import { sleep, waitFor } from '../testbed/proc.js';

/**
 * A long-running program in one of a testbed's namespaces (the broker, the
 * gateway), with its output appended to a log file, that a demo or a fault
 * suite can stop, kill -9 and start again. tb.down() kills whatever is left.
 */
export class NamespacedService {
  #proc: ChildProcess | undefined;

  constructor(
    readonly name: string,
    private readonly id: string,
    private readonly host: string,
    private readonly argv: readonly string[],
    private readonly opts: { log: string; env?: Record<string, string>; cwd?: string; ready: () => Promise<boolean>; readyMs?: number },
  ) {}

  get pid(): number | undefined {
    return this.running ? this.#proc?.pid : undefined;
  }

  get running(): boolean {
    const p = this.#proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  get logFile(): string {
    return this.opts.log;
  }

  /** extraEnv: added to the service's environment for this start only (a test hook, say). */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.running) return;
    const fd = openSync(this.opts.log, 'a');
    try {
      const p = tb.spawn(this.id, this.host, this.argv, {
        stdio: ['ignore', fd, fd],
        env: { NODE_OPTIONS: '', ...this.opts.env, ...extraEnv },
        cwd: this.opts.cwd,
      });
      this.#proc = p;
      p.on('error', () => undefined);
    } finally {
      closeSync(fd);
    }
    await waitFor(
      `${this.name} to be ready (log: ${this.opts.log})`,
      this.opts.readyMs ?? 30_000,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited during start (log: ${this.opts.log})`);
        return (await this.opts.ready()) ? true : undefined;
      },
      100,
    );
  }

  /** SIGTERM and wait; or SIGKILL, the crash a fault suite wants. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const p = this.#proc;
    if (!p || !this.running) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await Promise.race([gone, sleep(15_000).then(() => p.kill('SIGKILL'))]);
    await gone;
  }
}

/** True once something accepts TCP on host:port inside the namespace. */
export async function listening(id: string, host: string, ip: string, port: number): Promise<boolean> {
  return (await tb.exec(id, host, ['bash', '-c', `exec 3<>/dev/tcp/${ip}/${port}`], { timeoutMs: 3000 })).code === 0;
}

/**
 * A broker of the tests' and the demo's: anonymous, and without persistence, so
 * a restart loses queued messages, which the agent's outbox must survive.
 * `extra`: more mosquitto.conf lines.
 */
export const mosquittoConf = (port: number, host = '127.0.0.1', extra = '') => `listener ${port} ${host}\nallow_anonymous true\npersistence false\n${extra}`;

export function mosquittoConfig(file: string, ip: string, port: number): void {
  writeFileSync(file, mosquittoConf(port, ip, 'max_queued_messages 100000\n'));
}
