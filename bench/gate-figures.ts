import type * as Testbed from '../scripts/lib/testbed/index.js';

/** One figure of scripts/bench-gate --json. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: string;
  /** null: no goal. */
  met: boolean | null;
  note?: string;
  /** The same figure for openNDS, measured the same way (--opennds). */
  opennds?: { value: number; unit: string; note?: string };
}

export const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const spread = (a: readonly number[], digits = 2): string => `${Math.min(...a).toFixed(digits)}-${Math.max(...a).toFixed(digits)}`;

type Tb = typeof Testbed;

/** iperf3 from a guest to the upstream, Gbit/s received. */
export async function iperf(tb: Tb, id: string, guest: string, reverse: boolean, seconds: number): Promise<number> {
  const r = await tb.exec(id, guest, ['iperf3', '-c', '203.0.113.10', '-t', String(seconds), '-O', '1', '-J', ...(reverse ? ['-R'] : [])], {
    timeoutMs: (seconds + 20) * 1000,
  });
  const j = JSON.parse(r.stdout) as { error?: string; end: { sum_received: { bits_per_second: number } } };
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  return j.end.sum_received.bits_per_second / 1e9;
}

export interface Round {
  none: { down: number; up: number };
  gate: { down: number; up: number };
}

/**
 * Forwarding with the kernel state a gate left in the router and without it,
 * in alternating rounds so both see the same machine load. The caller stops
 * whatever owns that state first; `ours` says which tables are the gate's
 * (the agent's by default), `conntrack -F` starts each half from no flows.
 */
export async function forwardingRounds(tb: Tb, id: string, guest: string, rounds: number, ours: RegExp = /^table (inet|arp|bridge) qlink\b/): Promise<Round[]> {
  const saved = await tb.exec(id, 'router', ['nft', 'list', 'ruleset']);
  const tables = splitTables(saved.stdout).filter((t) => ours.test(t));
  const heads = tables.map((t) => t.split(' {')[0]!);
  const out: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const h of heads) await tb.exec(id, 'router', ['nft', 'delete', ...h.trim().split(/\s+/)]);
    await tb.exec(id, 'router', ['conntrack', '-F']);
    const none = { down: await iperf(tb, id, guest, true, 3), up: await iperf(tb, id, guest, false, 3) };
    const res = await tb.exec(id, 'router', ['nft', '-f', '-'], { input: tables.join('\n') + '\n' });
    if (res.code !== 0) throw new Error(`restoring the gate's tables: ${res.stderr}`);
    await tb.exec(id, 'router', ['conntrack', '-F']);
    const gate = { down: await iperf(tb, id, guest, true, 3), up: await iperf(tb, id, guest, false, 3) };
    out.push({ none, gate });
  }
  return out;
}

/** `nft list ruleset` cut into its top-level `table … { … }` blocks. */
export function splitTables(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let depth = 0;
  for (const line of text.split('\n')) {
    if (depth === 0 && !line.startsWith('table ')) continue;
    cur.push(line);
    depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
    if (depth === 0) {
      out.push(cur.join('\n'));
      cur = [];
    }
  }
  return out;
}
