/**
 * Chain transactions per 1,000 guest sessions settled: opens N real channels
 * on a private neo-go chain (one per session, one owner), signs a voucher for
 * each, then finds the most channels one settlement transaction can redeem
 * (the test invocation must HALT within the node's MaxGasInvoke, the VM's
 * limits, and the 102,400-byte transaction cap) and sends the largest one to
 * measure its GAS per channel.
 *   node dist/bench/gateway-settle.js [channels=1000]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startChain } from '../scripts/lib/chain.js';
import { account, openScript, QlinkClient } from '../chain/src/index.js';
import { voucherMessage } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';
import { neonSettleChain } from '../gateway/src/settle/chain.js';
import { settlementScript, type VoucherPick } from '../gateway/src/settle/script.js';
import { PLAN_1, TEST_PLANS } from '../test/helpers/plans.js';

const N = Number(process.argv[2] ?? 1000);
const MAX_TX_BYTES = 102_400;
const GAS = 1e8;
const chain = await startChain();
try {
  const { state } = chain;
  const client = new QlinkClient(state);
  const w = (n: string) => account(state.wallets[n]!.wif);
  const [owner, router, gateway] = [w('owner'), w('router1'), w('gateway')];
  const guests = ['guest1', 'guest2', 'guest3', 'spare'].map(w);
  await client.registerRouter(owner, router, TEST_PLANS);
  const domain = { networkMagic: state.networkMagic, contract: state.contract };
  const expiry = (await client.chainTime()) + 3_600_000n;

  // Many opens in one transaction (each a NEP-17 transfer with data): 1,000 channels in a few blocks.
  const picks: VoucherPick[] = [];
  const t0 = Date.now();
  for (let done = 0, g = 0; done < N; g++) {
    const k = Math.min(80, N - done);
    const keys = Array.from({ length: k }, () => newKeyPair());
    const guest = guests[g % guests.length]!;
    const script = keys
      .map((key) => openScript(state.contract, guest.address, { router: router.publicKey, voucherKey: key.publicKey, expiry, amount: 10_000n, ...PLAN_1 }))
      .join('');
    const r = await client.run(script, [guest]);
    const ids = r.events.filter((e) => e.name === 'ChannelOpened').map((e) => e.params.id as bigint);
    if (ids.length !== k) throw new Error(`opened ${ids.length} of ${k}: ${r.exception}`);
    ids.forEach((id, i) => {
      picks.push({
        channelId: Number(id),
        amount: 5_000,
        owner: '0x' + owner.scriptHash,
        signature: signP256(keys[i]!.privateKey, voucherMessage(domain, id, 5_000n)).toString('hex'),
      });
    });
    done += k;
  }
  console.log(`opened ${picks.length} channels in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const sc = neonSettleChain(client, gateway, 60_000);
  const fits = async (n: number) => {
    try {
      const b = await sc.build(settlementScript(state.contract, picks.slice(0, n), null), 100);
      return b.size <= MAX_TX_BYTES ? b : null;
    } catch (e) {
      return (e as Error).message.split('\n')[0]!;
    }
  };
  let lo = 1,
    hi = picks.length;
  const first = await fits(hi);
  if (typeof first === 'string' || !first) {
    console.log(`${hi} channels in one tx: ${first ?? 'over 102,400 bytes'}`);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const r = await fits(mid);
      if (r && typeof r !== 'string') lo = mid;
      else hi = mid;
    }
  } else lo = hi;
  const max = lo;
  const limit = await fits(max + 1 <= picks.length ? max + 1 : max);
  const built = await fits(max);
  if (!built || typeof built === 'string') throw new Error(`could not build ${max}`);
  await sc.relay(built.raw);
  let ex = null;
  while (!(ex = await sc.executed(built.txid))) await sleep(200);
  const fee = Number(built.systemFee + built.networkFee) / GAS;
  console.log(`most channels in one settlement tx: ${max}${max < picks.length ? ` (${max + 1}: ${typeof limit === 'string' ? limit : 'over size'})` : ''}`);
  console.log(
    `that tx: ${built.size} bytes, system fee ${(Number(built.systemFee) / GAS).toFixed(4)} GAS, network fee ${(Number(built.networkFee) / GAS).toFixed(4)} GAS, ${ex.vmstate}`,
  );
  console.log(`GAS per settled channel: ${(fee / max).toFixed(4)}`);
  console.log(`chain transactions per 1,000 guest sessions settled: ${Math.ceil(1000 / max)} (goal <= 5; a round's one anchorRound rides in one of them)`);
} finally {
  await chain.stop();
}
