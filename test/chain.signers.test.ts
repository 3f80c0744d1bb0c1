import { readFileSync } from 'node:fs';
import t from 'tap';
import { startChain } from '../scripts/lib/chain.js';
import {
  account, anchorHash, anchorMessage, compressedPublicKey, newKeyPair, privateKeyFromHex, privateKeyHex,
  publicKeyFromHex, QlinkClient, signMessage, signWithNeon, signWithNoble, verifyMessage, voucherMessage, ZERO_HASH,
  type Account,
} from '../gateway/src/chain/index.js';

// The shared vectors (written by contract/tests/vectors_test.go) and three
// signers, each of which the contract must accept.
const vectors = JSON.parse(readFileSync(new URL('../../test/fixtures/chain/vectors.json', import.meta.url), 'utf8'));

t.test('vectors: local byte builders and all three signers', async (t) => {
  const v = vectors.voucher;
  const msg = voucherMessage({ magic: v.magic, contract: v.contract }, BigInt(v.channelId), BigInt(v.amount));
  t.equal(msg.toString('hex'), v.message, 'voucher bytes');
  const a = vectors.anchor;
  const am = anchorMessage({ magic: a.magic, contract: a.contract }, a.publicKey, BigInt(a.seq), a.prev, a.root);
  t.equal(am.toString('hex'), a.message, 'anchor bytes');
  t.equal(anchorHash(am), a.hash, 'anchor hash');

  const key = privateKeyFromHex(v.privateKey);
  t.equal(compressedPublicKey(key), v.publicKey);
  const pub = publicKeyFromHex(v.publicKey);
  t.ok(verifyMessage(pub, msg, Buffer.from(v.signature, 'hex')), 'vector signature verifies in node:crypto');
  // RFC 6979 makes noble's signature the same bytes as neo-go's.
  t.equal(signWithNoble(v.privateKey, msg).toString('hex'), v.signature, 'noble signs the vector exactly');
  t.ok(verifyMessage(pub, msg, signMessage(key, msg)), 'node:crypto signature verifies');
  t.ok(verifyMessage(pub, msg, signWithNeon(v.privateKey, msg)), 'neon-js signature verifies');
  t.ok(verifyMessage(publicKeyFromHex(a.publicKey), am, Buffer.from(a.signature, 'hex')), 'anchor vector verifies');
});

const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (name: string): Account => account(state.wallets[name]?.wif ?? '');
const [owner, router, gateway] = [w('owner'), w('router2'), w('gateway')];
const domain = { magic: state.magic, contract: state.contract };
const GAS_1 = 100_000_000n;

await client.registerRouter(owner, router, 1000n, 50n);

async function open(guest: Account, voucherKey: string, amount = 2n * GAS_1): Promise<bigint> {
  const expiry = (await client.chainTime()) + 600_000n;
  const r = await client.openChannel(guest, { router: router.publicKey, voucherKey, expiry, amount });
  return r.events.find((e) => e.name === 'ChannelOpened')?.params.id as bigint;
}

t.test('vouchers by node:crypto, neon-js and noble all verify in the contract', async (t) => {
  const kp = newKeyPair();
  const hex = privateKeyHex(kp.privateKey);
  const id = await open(w('guest3'), kp.publicKey);
  t.same(await client.voucherMessage(id, 5n), voucherMessage(domain, id, 5n), 'contract builds the same bytes');
  const signers: [string, (m: Buffer) => Buffer][] = [
    ['node:crypto', (m) => signMessage(kp.privateKey, m)],
    ['neon-js', (m) => signWithNeon(hex, m)],
    ['@noble/curves', (m) => signWithNoble(hex, m)],
  ];
  let amount = 0n;
  for (const [name, signer] of signers) {
    amount += 10_000_000n;
    const r = await client.redeem(gateway, { id, amount, signature: signer(voucherMessage(domain, id, amount)) });
    t.equal(r.vmstate, 'HALT', `${name} voucher redeemed`);
    t.comment(`redeem (1 channel): ${r.systemFee} + ${r.networkFee} GAS fractions, ${r.size} bytes`);
  }
  const forged = signWithNoble(privateKeyHex(newKeyPair().privateKey), voucherMessage(domain, id, amount + 1n));
  await t.rejects(client.redeem(gateway, { id, amount: amount + 1n, signature: forged }), /bad voucher signature/);
});

t.test('batch redeem and cooperative close', async (t) => {
  const keys = [newKeyPair(), newKeyPair(), newKeyPair()];
  const guest = w('spare');
  const ids: bigint[] = [];
  for (const k of keys) ids.push(await open(guest, k.publicKey));
  const owner0 = await client.balanceOf(owner.address);
  const items = ids.map((id, i) => ({ id, amount: BigInt(i + 1) * GAS_1 / 10n, signature: signMessage(keys[i]!.privateKey, voucherMessage(domain, id, BigInt(i + 1) * GAS_1 / 10n)) }));
  const r = await client.redeemBatch(gateway, items);
  t.equal(r.events.filter((e) => e.name === 'ChannelRedeemed').length, 3);
  t.equal(await client.balanceOf(owner.address), owner0 + (6n * GAS_1) / 10n);

  const id = ids[0]!;
  const final = GAS_1 / 2n;
  const guest0 = await client.balanceOf(guest.address);
  const sig = signMessage(keys[0]!.privateKey, voucherMessage(domain, id, final));
  await t.rejects(client.close([gateway], { id, amount: final, signature: sig }), /owner witness missing/);
  const c = await client.close([gateway, owner], { id, amount: final, signature: sig });
  const ev = c.events.find((e) => e.name === 'ChannelClosed');
  t.equal(ev?.params.paid, final - GAS_1 / 10n, 'close pays the rise');
  t.equal(ev?.params.refunded, 2n * GAS_1 - final, 'and returns the rest');
  t.equal(await client.balanceOf(guest.address), guest0 + 2n * GAS_1 - final, 'guest refunded at once, fees paid by the gateway');
});

t.test('usage anchors in order, router-signed', async (t) => {
  const rk = privateKeyFromHex(router.privateKey);
  const root1 = 'aa'.repeat(32);
  const m1 = anchorMessage(domain, router.publicKey, 1n, ZERO_HASH, root1);
  const a1 = await client.anchorBatch(gateway, { router: router.publicKey, seq: 1n, prev: ZERO_HASH, root: root1, signature: signMessage(rk, m1) });
  t.equal(a1.events[0]?.params.hash, anchorHash(m1));
  t.comment(`anchor: ${a1.systemFee} + ${a1.networkFee} GAS fractions, ${a1.size} bytes`);
  const m2 = anchorMessage(domain, router.publicKey, 2n, anchorHash(m1), 'bb'.repeat(32));
  const bad = signMessage(privateKeyFromHex(w('owner').privateKey), m2);
  await t.rejects(client.anchorBatch(gateway, { router: router.publicKey, seq: 2n, prev: anchorHash(m1), root: 'bb'.repeat(32), signature: bad }), /bad router signature/);
  await t.rejects(client.anchorBatch(gateway, { router: router.publicKey, seq: 1n, prev: ZERO_HASH, root: root1, signature: signMessage(rk, m1) }), /out of order/);
  await client.anchorBatch(gateway, { router: router.publicKey, seq: 2n, prev: anchorHash(m1), root: 'bb'.repeat(32), signature: signMessage(rk, m2) });
  t.same(await client.getAnchorHead(router.publicKey), { seq: 2n, hash: anchorHash(m2) });
  t.equal((await client.getAnchor(router.publicKey, 2n))?.prev, anchorHash(m1));
});
