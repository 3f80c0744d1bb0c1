/** Every object the agent creates lives in these tables, so it never touches another's rules. */
export const TABLE = 'qlink';
export const INET = `inet ${TABLE}`;
export const ARP = `arp ${TABLE}`;
export const BRIDGE = `bridge ${TABLE}`;

/** Named counters of packets dropped for a source that is not the sender's own (telemetry reports them). */
export const SPOOF_COUNTERS = { v4: 'spoof4', v6: 'spoof6', arp: 'spoof_arp' } as const;

/** A session's counters: charged bytes up and down, and the zero-rated destinations' apart (zup, zdn). */
export type CounterDir = 'up' | 'dn' | 'zup' | 'zdn';
export const counterName = (sessionId: number, dir: CounterDir): string => `s${sessionId}_${dir}`;

const COUNTER_RE = /^s(\d+)_(z?up|z?dn)$/;

export function parseCounterName(name: string): { sessionId: number; dir: CounterDir } | null {
  const m = COUNTER_RE.exec(name);
  return m ? { sessionId: Number(m[1]), dir: m[2] as CounterDir } : null;
}

/** Where a counter's reading goes in a session's counters. */
export const READING_KEY = { up: 'up', dn: 'down', zup: 'zeroUp', zdn: 'zeroDown' } as const;
