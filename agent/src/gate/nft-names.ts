/** Every object the agent creates lives in these two tables, so it never touches another's rules. */
export const TABLE = 'qlink';
export const INET = `inet ${TABLE}`;
export const BRIDGE = `bridge ${TABLE}`;

export const counterName = (sessionId: number, dir: 'up' | 'dn'): string => `s${sessionId}_${dir}`;

const COUNTER_RE = /^s(\d+)_(up|dn)$/;

export function parseCounterName(name: string): { sessionId: number; dir: 'up' | 'dn' } | null {
  const m = COUNTER_RE.exec(name);
  return m ? { sessionId: Number(m[1]), dir: m[2] as 'up' | 'dn' } : null;
}
