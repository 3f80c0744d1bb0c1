import { setTimeout as sleep } from 'node:timers/promises';
import { type FleetRouter, newTally, type Tally } from './fleet-router.js';

export interface LoadOptions {
  /** Each router seals a batch this often. */
  intervalMs: number;
  records: number;
  seconds: number;
  /** How long to wait for the last acks after the last batch is sealed. */
  drainMs: number;
}

/** Sums the routers' tallies. */
export function total(tallies: Tally[]): Tally {
  const t = newTally();
  for (const x of tallies) {
    for (const k of ['sent', 'acked', 'recordsAcked', 'duplicateAcks', 'strayAcks', 'publishErrors', 'resent'] as const) t[k] += x[k];
    for (const l of x.latencies) t.latencies.push(l);
    t.lastAckAt = Math.max(t.lastAckAt, x.lastAckAt);
  }
  return t;
}

const pending = (fleet: FleetRouter[]) => fleet.reduce((n, r) => n + r.pending, 0);

export async function connectFleet(fleet: FleetRouter[], parallel = 50): Promise<void> {
  for (let i = 0; i < fleet.length; i += parallel) await Promise.all(fleet.slice(i, i + parallel).map((r) => r.connect()));
}

/**
 * One batch from every router, each acked before the measured run: the
 * gateways look each router up on chain once (then cache it), and a batch
 * that met a subscription not yet in place is sent again after resendMs.
 */
export async function warmUp(fleet: FleetRouter[], records: number, timeoutMs = 120_000, resendMs = 5_000): Promise<{ tally: Tally; ms: number }> {
  const t0 = performance.now();
  for (const r of fleet) r.seal(records);
  let lastResend = t0;
  while (pending(fleet)) {
    const now = performance.now();
    if (now - t0 > timeoutMs) throw new Error(`warm-up: ${pending(fleet)} of ${fleet.length} first batches not acked in ${timeoutMs} ms`);
    if (now - lastResend > resendMs) {
      lastResend = now;
      for (const r of fleet) if (r.pending) r.resend();
    }
    await sleep(20);
  }
  const ms = performance.now() - t0;
  const tally = total(fleet.map((r) => r.tally));
  for (const r of fleet) r.tally = newTally();
  return { tally, ms };
}

/**
 * The measured run: router i seals a batch at t0 + i/n·interval + k·interval
 * (spread evenly, no drift), for `seconds`; then the acks of everything still
 * in flight are awaited for drainMs. No resends: a batch not acked by then
 * is a missing ack, and counted as a failure.
 */
export async function runLoad(fleet: FleetRouter[], o: LoadOptions): Promise<{ tally: Tally; sealed: number; missing: number; ms: number }> {
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  let sealed = 0;
  await Promise.all(
    fleet.map(async (r, i) => {
      for (let at = t0 + (i / fleet.length) * o.intervalMs; at < end; at += o.intervalMs) {
        const wait = at - performance.now();
        if (wait > 0) await sleep(wait);
        r.seal(o.records);
        sealed++;
      }
    }),
  );
  const deadline = performance.now() + o.drainMs;
  while (pending(fleet) && performance.now() < deadline) await sleep(20);
  const tally = total(fleet.map((r) => r.tally));
  return { tally, sealed, missing: pending(fleet), ms: (tally.lastAckAt || performance.now()) - t0 };
}
