import type { ClientView } from '../control/protocol.js';
import { formatRate } from '../shaper/rate.js';

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

function humanSeconds(s: number | null): string {
  if (s === null) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function formatClients(clients: ClientView[]): string {
  if (!clients.length) return 'no guests on the network\n';
  const rows = [['MAC', 'IPv4', 'IPv6', 'STATE', 'PLAN', 'RATE DOWN/UP', 'DOWN', 'UP', 'TIME LEFT', 'DATA LEFT']];
  for (const c of clients) {
    rows.push([
      c.mac, c.ip4 ?? '-', c.ip6.length ? c.ip6.join(',') : '-', c.state, c.plan ?? '-',
      c.state === 'authorized' ? `${formatRate(c.downBps)}/${formatRate(c.upBps)}` : '-',
      humanBytes(c.bytesDown), humanBytes(c.bytesUp), humanSeconds(c.secondsLeft),
      c.bytesLeft === null ? '-' : humanBytes(c.bytesLeft),
    ]);
  }
  return table(rows);
}

export function formatStatus(s: Record<string, unknown>): string {
  const gate = s.gate as Record<string, unknown>;
  return table([
    ['daemon', `running (pid ${s.pid}, up ${humanSeconds(Number(s.uptimeSeconds))})`],
    ['backend', String(s.backend)],
    ['guest interface', String(s.guestInterface)],
    ['guests online', `${s.sessions} with a session, ${s.guests} seen`],
    ['last poll', gate.lastPollMs === null ? '-' : `${gate.lastPollMs} ms`],
    ['gate rebuilds', String(gate.restores)],
    ['shaping', s.shaping ? JSON.stringify(s.shaping) : 'off'],
    ...((s.warnings as string[] | undefined) ?? []).map((w) => ['WARNING', w]),
  ]);
}
