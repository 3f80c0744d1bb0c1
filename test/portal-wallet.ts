/**
 * A guest's NEO wallet for tests and the demo: pays a portal's payment
 * request the way a phone wallet would (a NEP-17 transfer to the contract
 * whose data opens the channel), tops a channel up, and, for setting up a
 * chain, registers a router. Prints one JSON object. Keys come from WIFs
 * in the environment (QLINK_WIF, QLINK_OWNER_WIF, QLINK_ROUTER_WIF), never
 * from arguments, so they stay out of process lists.
 *
 *   scripts/guest-wallet open --rpc URL --magic N --contract 0x… --request '<payment request JSON or neo: URI>' [--sign-only]
 *   scripts/guest-wallet topup --rpc URL --magic N --contract 0x… --channel ID --amount UNITS [--sign-only]
 *
 * --sign-only builds and signs the transaction and prints it ({ tx: base64,
 * hex, txid }) without sending it, as a wallet that cannot reach the chain
 * would hand it over to be pasted into the portal (which relays it).
 *   scripts/guest-wallet register --rpc URL --magic N --contract 0x… [--plans '<the agent config's plans as JSON>'] [--closer N…]
 *     (--closer: the owner also authorises that account to close its channels, setCloser: the gateway's closer key)
 *   scripts/guest-wallet balance --rpc URL --magic N --contract 0x… --address N…   (GAS, in units)
 *   scripts/guest-wallet channel --rpc URL --magic N --contract 0x… --channel ID   (the channel as the chain has it)
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { chainPlanOf, planTerms, plansSchema } from '../agent/src/plans.js';
import { QlinkClient } from '../chain/src/client.js';
import { account, type Account } from '../chain/src/neon.js';
import { openScript, topUpScript } from '../chain/src/scripts.js';
import { payRequestSchema, scriptHashOfAddress } from '../protocol/src/index.js';

const requestSchema = payRequestSchema.pick({ contract: true, amount: true, data: true }).passthrough();

/** The request as the page shows it: its JSON, or the neo: link (whose data parameter is the same array). */
function parseRequest(text: string, contract: string): z.infer<typeof requestSchema> {
  if (text.startsWith('neo:')) {
    const u = new URL(text);
    const gas = u.searchParams.get('amount') ?? '0';
    const [whole = '0', frac = ''] = gas.split('.');
    const amount = (BigInt(whole) * 100_000_000n + BigInt(frac.padEnd(8, '0').slice(0, 8))).toString();
    return requestSchema.parse({ contract, amount, data: JSON.parse(u.searchParams.get('data') ?? '[]') });
  }
  return requestSchema.parse(JSON.parse(text));
}

const wif = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function main(): Promise<unknown> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      rpc: { type: 'string' },
      magic: { type: 'string' },
      contract: { type: 'string' },
      request: { type: 'string' },
      channel: { type: 'string' },
      amount: { type: 'string' },
      plans: { type: 'string' },
      'sign-only': { type: 'boolean' },
      address: { type: 'string' },
      closer: { type: 'string' },
    },
  });
  const config = z.object({ rpc: z.string().url(), magic: z.coerce.number().int(), contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }).parse(values);
  const client = new QlinkClient({ rpc: config.rpc, networkMagic: config.magic, contract: config.contract });
  const started = Date.now();
  const signOnly = async (script: string, guest: Account) => {
    const b = await client.tx.build(script, [guest]);
    return { tx: b.raw.toString('base64'), hex: b.raw.toString('hex'), txid: b.txid, bytes: b.size };
  };
  switch (positionals[0]) {
    case 'open': {
      const req = parseRequest(values.request ?? '', config.contract);
      if (req.contract.toLowerCase() !== config.contract.toLowerCase()) throw new Error('the request is for another contract');
      const [, router, voucherKey, expiry, planId, planVersion] = req.data;
      const guest = account(wif('QLINK_WIF'));
      const p = { router, voucherKey, expiry: BigInt(expiry), amount: BigInt(req.amount), planId: Number(planId), planVersion: Number(planVersion) };
      if (values['sign-only']) return signOnly(openScript(config.contract, guest.address, p), guest);
      const r = await client.openChannel(guest, p);
      if (r.vmstate !== 'HALT') throw new Error(`open faulted: ${r.exception}`);
      const id = r.events.find((e) => e.name === 'ChannelOpened')?.params.id;
      return { channelId: String(id), txid: r.txid, ms: Date.now() - started };
    }
    case 'topup': {
      const guest = account(wif('QLINK_WIF'));
      const [id, amount] = [BigInt(values.channel ?? '0'), BigInt(values.amount ?? '0')];
      if (values['sign-only']) return signOnly(topUpScript(config.contract, guest.address, id, amount), guest);
      const r = await client.topUp(guest, id, amount);
      if (r.vmstate !== 'HALT') throw new Error(`topup faulted: ${r.exception}`);
      return { deposit: String(r.events.find((e) => e.name === 'ChannelToppedUp')?.params.deposit), txid: r.txid, ms: Date.now() - started };
    }
    case 'register': {
      // The router's plans (as the agent's config has them) go on chain in the same transaction.
      const plans = plansSchema.parse(JSON.parse(values.plans ?? '[]'));
      const r = await client.registerRouter(
        account(wif('QLINK_OWNER_WIF')),
        account(wif('QLINK_ROUTER_WIF')),
        plans.map((p) => ({ planId: chainPlanOf(plans, p), terms: planTerms(p) })),
      );
      if (r.vmstate !== 'HALT') throw new Error(`register faulted: ${r.exception}`);
      if (!values.closer) return { txid: r.txid, ms: Date.now() - started };
      const c = await client.setCloser(account(wif('QLINK_OWNER_WIF')), scriptHashOfAddress(values.closer), true);
      if (c.vmstate !== 'HALT') throw new Error(`setCloser faulted: ${c.exception}`);
      return { txid: r.txid, closerTxid: c.txid, ms: Date.now() - started };
    }
    case 'balance':
      return { address: values.address, gas: String(await client.balanceOf(z.string().min(1).parse(values.address))) };
    case 'channel':
      return client.getChannel(BigInt(values.channel ?? '0'));
    default:
      throw new Error('usage: guest-wallet open|topup|register|balance|channel --rpc URL --magic N --contract 0x… …');
  }
}

main().then(
  (out) => console.log(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))),
  (e: unknown) => {
    console.error(`guest-wallet: ${(e as Error).message}`);
    process.exit(1);
  },
);
