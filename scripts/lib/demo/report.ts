import type { QlinkClient } from '../../../chain/src/client.js';
import type { System } from '../system/index.js';
import { agreement, refundOf, type GuestFacts } from './accounts.js';
import type { Guest } from './day.js';
import { gas, mb, table } from './format.js';
import type { GatewayView } from './gateway.js';
import { channels, feesPaid, routerVouchers, snapshot, type Snapshot } from './ledger.js';
import type { Narrator } from './narrator.js';

export interface DayEnd {
  sys: System;
  chain: QlinkClient;
  gateway: GatewayView;
  before: Snapshot;
  guests: Guest[];
  channelIds: bigint[];
}

/** Prints the owner's earnings, each guest's spend and refund, and the checks against the chain; true when all hold. */
export async function accounts(n: Narrator, d: DayEnd): Promise<boolean> {
  const address = (w: string) => d.sys.chain.wallets[w]!.address;
  const owner = address('owner');
  const wallets = [owner, ...d.guests.map((g) => address(g.wallet))];
  const after = await snapshot(d.chain, wallets);
  const fees = await feesPaid(d.chain, d.before.height, await d.chain.rpc.getBlockCount(), wallets);
  const onChain = await channels(d.chain, d.channelIds);
  const held = routerVouchers(d.sys.bed.agent!.dataDir);
  const sessions = await d.gateway.sessions();
  const window = BigInt(d.sys.chain.settlementWindowMs);

  const facts: GuestFacts[] = d.guests.map((g, i) => {
    const channel = onChain.get(d.channelIds[i]!)!;
    const a = address(g.wallet);
    return {
      name: g.name,
      wallet: g.wallet,
      channel,
      before: d.before.gas.get(a)!,
      after: after.gas.get(a)!,
      fees: fees.get(a)!.fees,
      voucher: held.get(channel.id) ?? 0n,
    };
  });
  const o = { address: owner, before: d.before.gas.get(owner)!, after: after.gas.get(owner)!, fees: fees.get(owner)!.fees };
  const earned = o.after - o.before;
  n.say(`the owner earned ${gas(earned)} (wallet ${owner}: ${gas(o.before)} → ${gas(o.after)})`);

  const rows = [['guest', 'plan', 'used', 'metered', 'deposit', 'paid the owner', 'network fees', 'refund']];
  for (const [i, f] of facts.entries()) {
    const mine = sessions.filter((s) => s.channelId !== null && BigInt(s.channelId) === f.channel.id);
    const bytes = mine.reduce((a, s) => a + s.bytesDown + s.bytesUp, 0);
    const metered = mine.reduce((a, s) => a + BigInt(s.cost), 0n);
    const r = refundOf(f.channel, window);
    const refund =
      r.amount === 0n
        ? 'none left'
        : r.returned
          ? `${gas(r.amount)}, returned`
          : `${gas(r.amount)} from ${r.at.toTimeString().slice(0, 8)} (in ${Math.max(0, Math.round((r.at.getTime() - Date.now()) / 60_000))} min)`;
    rows.push([`${f.name} (${f.wallet})`, d.guests[i]!.plan, mb(bytes), gas(metered), gas(f.channel.deposit), gas(f.channel.redeemed), gas(f.fees), refund]);
  }
  n.block(table(rows));
  n.block(
    [
      'used and metered: the usage records the gateway stored for the channel;',
      'paid the owner: what settlement redeemed, the newest voucher the guest signed (its phone signs a credit window ahead of use);',
      "network fees: the guest's own transactions (opening the channel, topping up);",
      `refund: deposit − paid; "returned" when the channel was closed, else the guest (or anyone) sends refund from the channel's expiry + the ${Number(window) / 1000} s settlement window.`,
    ].join('\n'),
  );

  const checks = agreement(o, facts);
  const settled = (await d.gateway.earnings()).reduce((a, e) => a + BigInt(e.settled), 0n);
  const redeemed = facts.reduce((a, f) => a + f.channel.redeemed, 0n);
  checks.push({ ok: settled === redeemed, text: `the gateway's books say ${gas(settled)} settled, the chain ${gas(redeemed)} redeemed` });
  n.say('checks against the chain:');
  n.block(checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.text}`).join('\n'));
  const ok = checks.every((c) => c.ok);
  n.say(ok ? 'all the numbers agree with the chain' : 'THE NUMBERS DO NOT AGREE WITH THE CHAIN');
  return ok;
}
