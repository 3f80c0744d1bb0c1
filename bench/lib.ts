import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { callDaemon } from '../agent/src/control/client.js';
import type { Request } from '../agent/src/control/protocol.js';

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summary(values: number[], digits = 1): string {
  const s = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(digits)} / p99 ${percentile(s, 99).toFixed(digits)} / max ${s[s.length - 1]!.toFixed(digits)}`;
}

/** Fake guests for the agent's lease file: locally administered MACs, one per address, in the testbed's second guest subnet (10.251.0.0/16, NET.fakeGuests4). */
export function fakeLeases(n: number, expiry: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const mac = `02:10:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    return `${expiry} ${mac} 10.251.${i >> 8}.${i & 0xff} fake${i} *`;
  });
}

export const fakeMac = (line: string): string => line.split(' ')[1]!;

export async function call(socket: string, req: Request): Promise<unknown> {
  const r = await callDaemon(socket, req, 60_000);
  if (!r.ok) throw new Error(`${req.cmd}: ${r.error}`);
  return r.result;
}

/** RSS of a process, in MB. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time of a process and its reaped children (the nft and ip it ran), in ms. */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0);
  return (ticks * 1000) / 100;
}

/**
 * A stream of UDP datagrams from a guest to the upstream, one a millisecond,
 * and when each arrives: `firstAfter(t)` resolves with the arrival time of the
 * first datagram forwarded at or after `t` (epoch ms, one clock for every namespace).
 */
export function udpArrivals(tb: typeof import('../scripts/lib/testbed/index.js'), id: string, guest: string, upstream: string) {
  const rx = tb.spawn(id, 'upstream', [
    'node',
    '-e',
    `const s=require('dgram').createSocket('udp4');s.on('message',()=>process.stdout.write((performance.timeOrigin+performance.now()).toFixed(3)+'\\n'));s.bind(9000)`,
  ]);
  const tx = tb.spawn(id, guest, [
    'node',
    '-e',
    `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(16);setInterval(()=>s.send(b,9000,'${upstream}',()=>{}),1)`,
  ]);
  let waiter: ((t: number) => void) | null = null;
  let since = Infinity;
  createInterface({ input: rx.stdout! }).on('line', (l) => {
    const t = Number(l);
    if (waiter && t >= since) {
      waiter(t);
      waiter = null;
    }
  });
  return {
    firstAfter: (t0: number) =>
      new Promise<number>((r) => {
        since = t0;
        waiter = r;
      }),
    stop: () => {
      tx.kill();
      rx.kill();
    },
  };
}
