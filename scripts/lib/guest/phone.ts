/**
 * A guest's phone without the browser, for the demo and the fault suite: it
 * does what the portal page and a NEO wallet do together, over the same HTTP
 * API and the same chain. Runs inside a client namespace, so everything it
 * sends goes through the router:
 *
 *   node dist/scripts/lib/guest/phone.js --portal URL --plan ID --rpc URL --magic N --contract 0x… [--deposit UNITS] [--topup UNITS] [--every MS]
 *
 * The wallet key comes from QLINK_WIF (never an argument). It prints one JSON
 * event per line on stdout (pay-request, opened, online, voucher, held,
 * topped-up, logged-out, error; opened and topped-up carry the wallet's fee)
 * and reads commands on stdin: `logout`, `quit`.
 * Like the page it signs vouchers ahead of use (cost + one credit window,
 * never above the deposit); with --topup it tops the channel up by that many
 * units whenever it is held because the deposit is spent. With --deposit the
 * wallet deposits that many units instead of what the page asks (a wallet
 * may send any amount).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { QlinkClient } from '../../../chain/src/client.js';
import { payRequestSchema, sessionActionMessage, voucherMessage } from '../../../protocol/src/index.js';
import { newKeyPair, signP256 } from '../../../protocol/src/node/index.js';
import { account } from '../../../chain/src/neon.js';

const uintString = z.string().regex(/^[0-9]+$/);
const stateSchema = z
  .object({
    online: z.boolean(),
    channelId: z.string().nullable(),
    paid: uintString,
    cost: uintString,
    credit: uintString,
    creditWindow: uintString,
    deposit: uintString.nullable(),
    endReason: z.string().nullable(),
    bytesUsed: z.number(),
  })
  .passthrough();
type GuestState = z.infer<typeof stateSchema>;
const requestSchema = payRequestSchema;

const { values } = parseArgs({
  options: {
    portal: { type: 'string' },
    plan: { type: 'string' },
    rpc: { type: 'string' },
    magic: { type: 'string' },
    contract: { type: 'string' },
    deposit: { type: 'string' },
    topup: { type: 'string' },
    every: { type: 'string' },
  },
});
const args = z
  .object({
    portal: z.string().url(),
    plan: z.string().min(1),
    rpc: z.string().url(),
    magic: z.coerce.number().int().min(0),
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    deposit: uintString.optional(),
    topup: uintString.optional(),
    every: z.coerce.number().int().min(200).default(1000),
  })
  .parse(values);
const wif = process.env.QLINK_WIF;
if (!wif) throw new Error('QLINK_WIF is not set');

const emit = (ev: string, o: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ ev, at: Date.now(), ...o }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
/** 0.01 GAS over the test run's system fee for opening a channel. */
const OPEN_MARGIN = 1_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call<T>(method: 'GET' | 'POST', path: string, body: unknown, schema: z.ZodType<T>, timeoutMs = 10_000): Promise<T> {
  const r = await fetch(args.portal + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = (await r.json()) as unknown;
  if (!r.ok) {
    const e = json as { error?: string; reason?: string };
    throw Object.assign(new Error(`${path}: ${r.status} ${e.reason ?? ''} ${e.error ?? ''}`.trim()), { reason: e.reason });
  }
  return schema.parse(json);
}

const client = new QlinkClient({ rpc: args.rpc, networkMagic: args.magic, contract: args.contract });
const wallet = account(wif);
const key = newKeyPair();
const domain = { networkMagic: args.magic, contract: args.contract };
let channelId: bigint | null = null;
let deposit = 0n;
/** The router's key, as the payment request names it: what the log out's signature is addressed to. */
let router = '';
let quitting = false;

async function voucher(amount: bigint): Promise<GuestState> {
  if (channelId === null) throw new Error('no channel');
  const a = amount > deposit ? deposit : amount;
  const signature = signP256(key.privateKey, voucherMessage(domain, channelId, a)).toString('hex');
  const s = await call('POST', '/api/voucher', { channelId: channelId.toString(), amount: a.toString(), signature }, stateSchema);
  emit('voucher', { amount: a, cost: s.cost });
  return s;
}

async function pay(): Promise<void> {
  const req = await call('POST', '/api/pay', { plan: args.plan, voucherKey: key.publicKey }, requestSchema);
  emit('pay-request', { amount: req.amount });
  const [, routerKey, voucherKey, expiry, planId, planVersion] = req.data;
  router = routerKey;
  const t0 = Date.now();
  const amount = BigInt(args.deposit ?? req.amount);
  // Guests paying at once meet a state in the block other than their test run's (a FAULT for want of GAS): a margin, as the bench gives.
  const r = await client.openChannel(
    wallet,
    { router: routerKey, voucherKey, expiry: BigInt(expiry), amount, planId, planVersion },
    { extraSystemFee: OPEN_MARGIN },
  );
  if (r.vmstate !== 'HALT') throw new Error(`opening the channel faulted: ${r.exception}`);
  channelId = BigInt(String(r.events.find((e) => e.name === 'ChannelOpened')?.params.id));
  deposit = amount;
  emit('opened', { channelId, txid: r.txid, deposit, fee: r.systemFee + r.networkFee, ms: Date.now() - t0 });
  const window = BigInt((await call('GET', '/api/state', undefined, stateSchema)).creditWindow);
  // The agent reads the chain at its latest block: ask again until it sees the channel.
  for (let i = 0; ; i++) {
    try {
      await voucher(window);
      break;
    } catch (e) {
      if (!/unknown-channel|unconfirmed-channel/.test((e as Error).message) || i > 60) throw e;
      await sleep(1000);
    }
  }
  emit('online', { ms: Date.now() - t0 });
}

async function topUp(amount: bigint): Promise<void> {
  if (channelId === null) return;
  const r = await client.topUp(wallet, channelId, amount);
  if (r.vmstate !== 'HALT') throw new Error(`top up faulted: ${r.exception}`);
  deposit = BigInt(String(r.events.find((e) => e.name === 'ChannelToppedUp')?.params.deposit));
  emit('topped-up', { channelId, txid: r.txid, deposit, amount, fee: r.systemFee + r.networkFee });
}

/** One look at the state, and what the page would do about it. */
async function step(wasOnline: boolean): Promise<boolean> {
  const s = await call('GET', '/api/state', undefined, stateSchema);
  if (s.deposit !== null && BigInt(s.deposit) > deposit) deposit = BigInt(s.deposit);
  const [cost, credit, window, paid] = [BigInt(s.cost), BigInt(s.credit), BigInt(s.creditWindow), BigInt(s.paid)];
  if (wasOnline && !s.online) emit('held', { reason: s.endReason, cost, paid });
  if (!wasOnline && s.online) emit('online', {});
  if ((s.online || s.endReason === 'credit') && credit * 2n < window && cost < deposit && paid < deposit) {
    await voucher(cost + window).catch((e: Error) => emit('voucher-refused', { message: e.message }));
  } else if (!s.online && s.endReason === 'credit' && cost >= deposit && args.topup) {
    await topUp(BigInt(args.topup));
  }
  return s.online;
}

async function logout(): Promise<void> {
  // Log out and refund the rest now, signed by the channel's voucher key at the router's time (the page's "refund the rest now").
  // The portal answers once the cooperative close is in a block or its wait (portal.closeWaitSeconds, 30 s by default) is over.
  const time = (await call('GET', '/api/state', undefined, z.object({ time: z.number() }).passthrough())).time;
  const body =
    channelId === null
      ? {}
      : {
          channelId: channelId.toString(),
          time,
          refund: true,
          signature: signP256(key.privateKey, sessionActionMessage(domain, channelId, router, 'refund', time)).toString('hex'),
        };
  const s = await call('POST', '/api/logout', body, stateSchema, 45_000);
  emit('logged-out', { cost: s.cost, paid: s.paid, channelId, close: s.close ?? null });
}

async function main(): Promise<void> {
  const commands: string[] = [];
  createInterface({ input: process.stdin })
    .on('line', (l) => commands.push(l.trim()))
    .on('close', () => commands.push('quit'));
  await pay();
  let online = true;
  while (!quitting) {
    const c = commands.shift();
    if (c === 'logout') {
      await logout();
      return;
    }
    if (c === 'quit') return;
    online = await step(online).catch((e: Error) => {
      emit('error', { message: e.message });
      return online;
    });
    await sleep(args.every);
  }
}

process.on('SIGTERM', () => {
  quitting = true;
});
main().then(
  () => process.exit(0),
  (e: unknown) => {
    emit('error', { message: (e as Error).message, fatal: true });
    process.exit(1);
  },
);
