import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import * as tb from '../testbed/index.js';
import { shellJoin } from '../testbed/proc.js';

/** What one guest does on the net, over and over until stopped: paced downloads, and uploads if given. */
export interface Flow {
  client: string;
  /** Bytes a second. The upstream paces downloads itself (?rate=); uploads are paced by curl. */
  down: number;
  up?: number;
  /** Over IPv6 instead of IPv4: the gate counts both alike. */
  ipv6?: boolean;
}

const UP4 = '203.0.113.10';
const UP6 = '[2001:db8:ff::10]';
/** Each transfer lasts about this long, so a transfer is always in flight when a fault strikes. */
const TRANSFER_S = 20;

function script(f: Flow): string {
  const host = `http://${f.ipv6 ? UP6 : UP4}`;
  const curl = ['curl', '-sS', '-g', '-o', '/dev/null', '-m', String(TRANSFER_S * 4)];
  // A held or reset transfer fails at once: wait a little before the next, not spin.
  const lines = [`while :; do ${shellJoin([...curl, `${host}/bytes/${f.down * TRANSFER_S}?rate=${f.down}`])} || sleep 1; done &`];
  if (f.up) {
    lines.push(
      `while :; do head -c ${f.up * TRANSFER_S} /dev/zero | ${shellJoin([
        ...curl,
        '--limit-rate',
        String(f.up),
        '-X',
        'POST',
        '-H',
        'content-type: application/octet-stream',
        '--data-binary',
        '@-',
        `${host}/upload`,
      ])} || sleep 1; done &`,
    );
  }
  return [...lines, 'wait'].join('\n');
}

/** Guests' traffic as shell loops in their namespaces; each loop is its own process group, so stop() ends every curl. */
export class Traffic {
  readonly #procs: ChildProcess[] = [];

  constructor(
    private readonly id: string,
    private readonly logDir: string,
  ) {}

  start(flows: readonly Flow[]): void {
    for (const f of flows) {
      const fd = openSync(join(this.logDir, `traffic-${f.client}.log`), 'a');
      try {
        const p = tb.spawn(this.id, f.client, ['bash', '-c', script(f)], { detached: true, stdio: ['ignore', fd, fd] });
        p.on('error', () => undefined);
        this.#procs.push(p);
      } finally {
        closeSync(fd);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#procs.map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
        const gone = new Promise((r) => p.once('exit', r));
        try {
          process.kill(-p.pid, 'SIGTERM');
        } catch {
          return;
        }
        await gone;
      }),
    );
    this.#procs.length = 0;
  }
}
