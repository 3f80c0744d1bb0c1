/**
 * The fault suite's window on the chain, run inside the upstream namespace
 * (the chain's RPC is reachable only there): one JSON request on stdin, one
 * JSON answer on stdout, amounts as decimal strings.
 *
 *   node dist/scripts/lib/faults/chain-audit.js --rpc URL --magic N --contract 0x…  < request.json
 *
 * audit:  balances, the anchorer's round head (getRound), channels, and the
 *         qlink events of transactions (RoundAnchored among them).
 * refund: waits until the channels' expiry plus the settlement window has
 *         passed on chain, then sends refund for each, paid by QLINK_WIF.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { QlinkClient } from '../../../chain/src/client.js';
import { parseEvents } from '../../../protocol/src/index.js';
import { account } from '../../../chain/src/neon.js';

const request = z.discriminatedUnion('op', [
  z.object({ op: z.literal('balances'), addresses: z.array(z.string().min(20).max(40)) }).strict(),
  z
    .object({
      op: z.literal('audit'),
      addresses: z.array(z.string().min(20).max(40)),
      anchorer: z.string().regex(/^0x[0-9a-f]{40}$/i),
      channels: z.array(z.int().min(1)),
      txids: z.array(z.string().regex(/^(0x)?[0-9a-f]{64}$/i)),
    })
    .strict(),
  z.object({ op: z.literal('refund'), channels: z.array(z.int().min(1)), timeoutMs: z.int().min(1000) }).strict(),
]);

const { values } = parseArgs({ options: { rpc: { type: 'string' }, magic: { type: 'string' }, contract: { type: 'string' } } });
const cfg = z.object({ rpc: z.string().url(), magic: z.coerce.number().int().min(0), contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }).parse(values);
const client = new QlinkClient({ rpc: cfg.rpc, networkMagic: cfg.magic, contract: cfg.contract });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function balances(addresses: string[]): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const a of addresses) out[a] = await client.balanceOf(a);
  return out;
}

async function audit(r: Extract<z.infer<typeof request>, { op: 'audit' }>) {
  const channels = [];
  for (const id of r.channels) channels.push(await client.getChannel(BigInt(id)));
  const txs = [];
  for (const txid of r.txids) {
    const ex = await client.tx.execution(txid, 10_000);
    txs.push({ txid, vmstate: ex.vmstate, events: parseEvents(cfg.contract, ex.notifications) });
  }
  return { balances: await balances(r.addresses), roundHead: await client.getRound(r.anchorer), channels, txs };
}

async function refund(r: Extract<z.infer<typeof request>, { op: 'refund' }>) {
  const wif = process.env.QLINK_WIF;
  if (!wif) throw new Error('QLINK_WIF is not set');
  const sender = account(wif);
  const window = await client.settlementWindow();
  const channels = await Promise.all(
    r.channels.map(async (id) => {
      const c = await client.getChannel(BigInt(id));
      if (!c) throw new Error(`no channel ${id}`);
      return c;
    }),
  );
  const opensAt = channels.reduce((m, c) => (c.expiry > m ? c.expiry : m), 0n) + window;
  const end = Date.now() + r.timeoutMs;
  while ((await client.chainTime()) <= opensAt) {
    if (Date.now() > end) throw new Error(`the chain's time did not pass ${opensAt} within ${r.timeoutMs} ms`);
    await sleep(500);
  }
  const out = [];
  for (const c of channels) {
    const x = await client.refund(sender, c.id);
    const ev = x.events.find((e) => e.name === 'ChannelRefunded');
    out.push({ channelId: c.id, txid: x.txid, vmstate: x.vmstate, exception: x.exception, refunded: ev?.params.refunded ?? null });
  }
  return { refunds: out };
}

async function main(): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const r = request.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  if (r.op === 'balances') return { balances: await balances(r.addresses) };
  if (r.op === 'audit') return audit(r);
  return refund(r);
}

main().then(
  (out) => {
    process.stdout.write(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`chain-audit: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
