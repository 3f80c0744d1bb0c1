/**
 * One guest flooding the portal and, through it, the gateway RPC: run inside
 * the guest's network namespace (test/attacks/guest-flood.netns.test.ts).
 * `connections` keep-alive connections send, round robin, page loads,
 * status polls, vouchers for channels that do not exist (each a channel
 * look-up at the gateway unless refused first), account look-ups and
 * transactions to follow (each held at the gateway for up to a minute).
 * Prints one JSON object: per kind, answers by status, 429s by the limit
 * they named, and accepted (not 429) requests per second over the run.
 *
 *   node dist/bench/portal-flood.js --url http://10.250.0.1:8088 [--seconds 30] [--connections 64]
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { url: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } } });
const base = new URL(values.url ?? 'http://10.250.0.1:8088');
const seconds = Number(values.seconds ?? 30);
const connections = Number(values.connections ?? 64);
const hex = (n: number) => randomBytes(n).toString('hex');
const decimal = () => String(1_000_000 + Math.floor(Math.random() * 1e9));

const KINDS = {
  page: () => ({ method: 'GET', path: '/' }),
  state: () => ({ method: 'GET', path: '/api/state' }),
  voucher: () => ({ method: 'POST', path: '/api/voucher', body: { channelId: decimal(), amount: decimal(), signature: hex(64) } }),
  channels: () => ({ method: 'POST', path: '/api/channels', body: { account: '0x' + hex(20) } }),
  opened: () => ({ method: 'POST', path: '/api/opened', body: { txid: '0x' + hex(32) } }),
} as const;
type Kind = keyof typeof KINDS;

interface Tally {
  sent: number;
  byStatus: Record<string, number>;
  byLimit: Record<string, number>;
  errors: number;
}
const tally = Object.fromEntries(Object.keys(KINDS).map((k) => [k, { sent: 0, byStatus: {}, byLimit: {}, errors: 0 }])) as Record<Kind, Tally>;
const acceptedPerSecond: number[] = Array.from({ length: Math.ceil(seconds) }, () => 0);
const start = Date.now();
const end = start + seconds * 1000;
const agent = new Agent({ keepAlive: true, maxSockets: connections });
let firstRefusalAfter: number | null = null;
let accepted = 0;

function once(kind: Kind): Promise<void> {
  const r = KINDS[kind]();
  const body = 'body' in r ? JSON.stringify(r.body) : undefined;
  return new Promise((resolve) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: r.path,
        method: r.method,
        agent,
        headers: { host: base.host, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4096) text += c;
        });
        res.on('end', () => {
          const t = tally[kind];
          const status = String(res.statusCode ?? 0);
          t.byStatus[status] = (t.byStatus[status] ?? 0) + 1;
          if (status === '429') {
            firstRefusalAfter ??= accepted;
            let limit = 'unnamed';
            try {
              limit = String((JSON.parse(text) as { limit?: string }).limit ?? 'unnamed');
            } catch {
              /* counted as unnamed */
            }
            t.byLimit[limit] = (t.byLimit[limit] ?? 0) + 1;
          } else {
            accepted++;
            const s = Math.floor((Date.now() - start) / 1000);
            if (s < acceptedPerSecond.length) acceptedPerSecond[s]!++;
          }
          resolve();
        });
      },
    );
    req.setTimeout(90_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      tally[kind].errors++;
      resolve();
    });
    tally[kind].sent++;
    req.end(body);
  });
}

const kinds = Object.keys(KINDS) as Kind[];
await Promise.all(
  Array.from({ length: connections }, async (_, i) => {
    for (let n = i; Date.now() < end; n++) await once(kinds[n % kinds.length]!);
  }),
);
agent.destroy();
const total = Object.values(tally).reduce((a, t) => a + t.sent, 0);
const steady = acceptedPerSecond.slice(2);
process.stdout.write(
  JSON.stringify({
    seconds,
    connections,
    sent: total,
    sentPerSecond: Math.round(total / seconds),
    accepted,
    firstRefusalAfter,
    acceptedFirstSecond: acceptedPerSecond[0],
    acceptedPerSecondSteady: steady.length ? Math.round(steady.reduce((a, b) => a + b, 0) / steady.length) : null,
    acceptedPerSecond,
    kinds: tally,
  }) + '\n',
);
