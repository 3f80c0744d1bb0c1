import { account, openScript, QlinkClient, type Account, type Result, type VoucherItem } from '../../../chain/src/index.js';
import { FetchJsonRpc } from '../../../chain/src/json-rpc.js';
import { voucherMessage } from '../../../protocol/src/index.js';
import { newKeyPair, signP256 } from '../../../protocol/src/node/index.js';
import { PLAN_1, TEST_PLANS, testPlan } from '../../../test/helpers/plans.js';
import type { RunningChain } from '../chain.js';
import { blockFee, chainPolicy, type TxFee } from './block-fees.js';
import type { Measured } from './sessions.js';

const GAS_1 = 100_000_000n;

/** One measured transaction: what it was, and its fees as its block has them. */
export interface Row {
  what: string;
  fee: TxFee;
  perChannel?: number;
}

/**
 * Every contract method's typical transaction, sent on a real chain as the
 * product sends it and read back from its block (scripts/bench-chain prints
 * them all; scripts/bench-fees builds sessions from some). Signers as in the
 * product: the owner for the registry, plans and closers; the guest for open,
 * top up, refund, alone or after a sponsor (None); the gateway's settlement
 * wallet for redeems and anchors, with the closer for close.
 */
export async function measureChain(chain: RunningChain, batch = 42): Promise<{ rows: Row[]; m: Measured; policy: Awaited<ReturnType<typeof chainPolicy>> }> {
  const { state } = chain;
  const c = new QlinkClient(state);
  const rpc = new FetchJsonRpc(state.rpc, 30_000);
  const w = (n: string): Account => account(state.wallets[n]!.wif);
  const [owner, router, guest, guest2, gw, closer, sponsor] = [w('owner'), w('router1'), w('guest1'), w('guest2'), w('gateway'), w('closer'), w('sponsor')];
  const d = { networkMagic: state.networkMagic, contract: state.contract };
  const rows: Row[] = [];
  const fee = async (r: Result) => {
    if (r.vmstate !== 'HALT') throw new Error(`${r.txid} faulted: ${r.exception}`);
    return blockFee(rpc, r.txid);
  };
  const row = async (what: string, r: Result, channels?: number) => {
    const f = await fee(r);
    rows.push({ what, fee: f, ...(channels ? { perChannel: channels } : {}) });
    return f;
  };

  await row("registerRouter with one plan (owner signs, the router's claim inside)", await c.registerRouter(owner, router, TEST_PLANS));
  await row('publishPlan, a new version', await c.publishPlans(owner, [{ planId: 2, terms: testPlan({ name: 'Two' }) }]));
  await row("setCloser (owner authorises the gateway's closer)", await c.setCloser(owner, '0x' + closer.scriptHash, true));

  const far = (await c.chainTime()) + 3_600_000n;
  const keys = Array.from({ length: batch + 3 }, () => newKeyPair());
  const p = (k: (typeof keys)[number], amount = GAS_1) => ({ router: router.publicKey, voucherKey: k.publicKey, expiry: far, amount, ...PLAN_1 });
  // Channel of key i; the batch's channels first (opened together, not measured), so the measured opens are not the deployment's first.
  const ids = new Map<number, bigint>();
  const bulk = await c.run(
    keys
      .slice(2, 2 + batch)
      .map((k) => openScript(state.contract, guest.address, p(k)))
      .join(''),
    [guest],
  );
  if (bulk.vmstate !== 'HALT') throw new Error(`bulk open faulted: ${bulk.exception}`);
  bulk.events
    .filter((e) => e.name === 'ChannelOpened')
    .forEach((e, i) => {
      ids.set(i + 2, e.params.id as bigint);
    });
  const opened = (i: number, r: Result) => {
    const id = r.events.find((e) => e.name === 'ChannelOpened')?.params.id as bigint | undefined;
    if (!id) throw new Error(`no channel opened: ${r.exception}`);
    ids.set(i, id);
    return r;
  };
  const open = await row('open (guest signs)', opened(0, await c.openChannel(guest, p(keys[0]!))));
  // Sponsored: the sponsor first signer with scope None (pays the fees), the guest second with CalledByEntry (its GAS moves).
  const before = await c.balanceOf(guest2.address);
  const sp = await c.run(openScript(state.contract, guest2.address, p(keys[1]!)), [sponsor, guest2], { scopes: ['None', 'CalledByEntry'] });
  const openSponsored = await row('open, sponsored (sponsor None first, guest CalledByEntry second)', opened(1, sp));
  const moved = before - (await c.balanceOf(guest2.address));
  if (openSponsored.sender !== sponsor.address || moved !== GAS_1) {
    throw new Error(`sponsored open: sender ${openSponsored.sender}, the guest's GAS moved by ${moved} (want the deposit ${GAS_1} exactly)`);
  }
  const v = (i: number, amount: bigint): VoucherItem => ({
    id: ids.get(i)!,
    amount,
    signature: signP256(keys[i]!.privateKey, voucherMessage(d, ids.get(i)!, amount)),
  });

  await row('topup (guest signs)', await c.topUp(guest, ids.get(0)!, GAS_1));
  await row("redeem, the channel's first (gateway)", await c.redeem(gw, v(0, GAS_1 / 10n)));
  await row('redeem, later (gateway)', await c.redeem(gw, v(0, GAS_1 / 5n)));
  const inBatch = Array.from({ length: batch }, (_, i) => i + 2);
  await row(
    `redeemBatch of ${batch}, the channels' first (gateway)`,
    await c.redeemBatch(
      gw,
      inBatch.map((i) => v(i, GAS_1 / 100n)),
    ),
    batch,
  );
  const redeemBatch = await row(
    `redeemBatch of ${batch}, later (gateway)`,
    await c.redeemBatch(
      gw,
      inBatch.map((i) => v(i, GAS_1 / 50n)),
    ),
    batch,
  );
  const closeAfterRedeem = await row('close after a redeem (gateway pays, closer signs)', await c.close([gw], v(0, GAS_1 / 4n), closer));
  const closeFirst = await row("close, the channel's first redeem (gateway pays, closer signs)", await c.close([gw], v(1, GAS_1 / 4n), closer));
  const k2 = newKeyPair();
  await row('rekey (guest witness)', await c.rekey([guest], ids.get(2)!, k2.publicKey, null));
  const anchorer = '0x' + gw.scriptHash;
  const head = (await c.getRound(anchorer)).round;
  await row("anchorRound, the anchorer's first (gateway)", await c.anchorRound(gw, head + 1n, 'ab'.repeat(32)));
  const anchor = await row('anchorRound, later (gateway)', await c.anchorRound(gw, head + 2n, 'cd'.repeat(32)));

  const kr = newKeyPair();
  const soon = (await c.chainTime()) + 5_000n;
  const o = opened(-1, await c.openChannel(guest, { ...p(kr), expiry: soon }));
  const rid = o.events.find((e) => e.name === 'ChannelOpened')!.params.id as bigint;
  await c.redeem(gw, { id: rid, amount: GAS_1 / 10n, signature: signP256(kr.privateKey, voucherMessage(d, rid, GAS_1 / 10n)) });
  while ((await c.chainTime()) <= soon + BigInt(state.settlementWindowMs)) await new Promise((r) => setTimeout(r, 500));
  const refund = await row('refund after expiry + window, after a redeem (guest)', await c.refund(guest, rid));
  return { rows, policy: await chainPolicy(rpc), m: { open, openSponsored, closeFirst, closeAfterRedeem, redeemBatch, channels: batch, anchor, refund } };
}
