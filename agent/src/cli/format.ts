import type { ClientView } from '../control/protocol.js';
import { formatRate } from '../shaper/rate.js';

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
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
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatClients(clients: ClientView[]): string {
  if (!clients.length) return 'no guests on the network\n';
  const rows = [['MAC', 'IPv4', 'IPv6', 'STATE', 'PLAN', 'RATE DOWN/UP', 'DOWN', 'UP', 'TIME LEFT', 'DATA LEFT']];
  for (const c of clients) {
    rows.push([
      c.mac,
      c.ip4 ?? '-',
      c.ip6.length ? c.ip6.join(',') : '-',
      c.state,
      c.plan ?? '-',
      c.state === 'authorized' ? `${formatRate(c.downBps)}/${formatRate(c.upBps)}` : '-',
      humanBytes(c.bytesDown),
      humanBytes(c.bytesUp),
      humanSeconds(c.secondsLeft),
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
    ...registrationRows(s.registration as Registration | undefined),
    ...planRows(s.plans as StatusPlans | null | undefined),
    ...((s.warnings as string[] | undefined) ?? []).map((w) => ['WARNING', w]),
  ]);
}

interface Registration {
  registered: boolean | null;
  owner: string | null;
  error: string | null;
  link: string | null;
  lanPage: string | null;
}

/** Registered, or the link the owner registers with (and the LAN page that signs the claim). */
function registrationRows(r: Registration | undefined): string[][] {
  if (!r) return [];
  const state = r.registered
    ? `registered to ${r.owner}: selling`
    : r.registered === false
      ? 'not registered on chain: not selling'
      : `unknown${r.error ? ` (${r.error})` : ''}`;
  return [
    ['registration', state],
    ...(!r.registered && r.link ? [['register at', r.link]] : []),
    ...(!r.registered && r.lanPage ? [['setup page', `${r.lanPage} (owner LAN only)`]] : []),
  ];
}

interface StatusPlans {
  owner: string | null;
  stale: boolean;
  readAt: number;
  onChain: Array<{ planId: number; version: number; name: string; pricePerMB: string; pricePerMinute: string }>;
  drift: Array<{ plan: string; chainPlan: number; chainVersion: number | null; differs: string[] }>;
}

/** The plans guests are sold (the chain's), and each UCI plan that says otherwise. */
function planRows(p: StatusPlans | null | undefined): string[][] {
  if (!p) return [['plans', 'not read yet (or no chain configured)']];
  const when = p.stale ? ` (as read ${p.readAt ? new Date(p.readAt).toISOString() : 'never'}: the chain does not answer)` : '';
  return [
    ['plans on chain', p.onChain.length ? p.onChain.map((x) => `${x.planId} "${x.name}" v${x.version}`).join(', ') + when : `none${when}`],
    ...p.drift.map((d) => [
      'WARNING',
      d.chainVersion === null
        ? `UCI plan ${d.plan} (chain plan ${d.chainPlan}) is not published on chain: not sold`
        : `UCI plan ${d.plan} differs from chain plan ${d.chainPlan} v${d.chainVersion} (${d.differs.join(', ')}): guests pay the chain's terms`,
    ]),
  ];
}
