import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as tb from '../testbed/index.js';
import { REPO_ROOT } from '../testbed/paths.js';
import type { System } from '../system/index.js';

export interface PhoneEvent {
  ev: string;
  at: number;
  [k: string]: unknown;
}

/**
 * The orchestrator's handle on a phone (phone.ts) running in a client
 * namespace: its events as they come, a wait for the next of a kind, and
 * the commands the guest would tap.
 */
export class RemotePhone {
  readonly events: PhoneEvent[] = [];
  readonly #proc: ChildProcess;
  readonly #waiters = new Set<() => void>();
  #stderr = '';

  constructor(
    readonly name: string,
    sys: System,
    client: string,
    opts: { plan: string; wallet: string; deposit?: bigint; topup?: bigint; onEvent?: (e: PhoneEvent) => void },
  ) {
    const argv = [
      'node',
      'dist/scripts/lib/guest/phone.js',
      '--portal',
      sys.portalUrl,
      '--plan',
      opts.plan,
      ...sys.chainArgs,
      ...(opts.deposit ? ['--deposit', opts.deposit.toString()] : []),
      ...(opts.topup ? ['--topup', opts.topup.toString()] : []),
    ];
    this.#proc = tb.spawn(sys.id, client, argv, {
      cwd: REPO_ROOT,
      env: { QLINK_WIF: sys.wif(opts.wallet), NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.#proc.stdout! }).on('line', (line) => {
      let e: PhoneEvent;
      try {
        e = JSON.parse(line) as PhoneEvent;
      } catch {
        return;
      }
      this.events.push(e);
      opts.onEvent?.(e);
      for (const w of this.#waiters) w();
    });
    this.#proc.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.#proc.on('exit', () => {
      for (const w of this.#waiters) w();
    });
  }

  get exited(): boolean {
    return this.#proc.exitCode !== null || this.#proc.signalCode !== null;
  }

  /** The first event of that kind after index `from` (default: any so far). */
  next(ev: string, timeoutMs: number, from = 0): Promise<PhoneEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.slice(from).find((x) => x.ev === ev);
        const fatal = this.events.find((x) => x.ev === 'error' && x.fatal);
        if (e) done(() => resolve(e));
        else if (fatal) done(() => reject(new Error(`${this.name}: ${String(fatal.message)}`)));
        else if (this.exited) done(() => reject(new Error(`${this.name} exited before "${ev}": ${this.#stderr.slice(-500)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.name}: no "${ev}" within ${timeoutMs} ms`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        f();
      };
      this.#waiters.add(check);
      check();
    });
  }

  async logout(timeoutMs = 15_000): Promise<PhoneEvent> {
    this.#proc.stdin!.write('logout\n');
    return this.next('logged-out', timeoutMs);
  }

  /** The guest walks away: the phone stops paying and talking, the session runs on to its idle timeout. */
  async leave(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.#proc.once('exit', r));
    this.#proc.stdin!.end('quit\n');
    await gone;
  }
}
