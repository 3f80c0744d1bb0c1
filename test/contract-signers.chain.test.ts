import { readFileSync } from 'node:fs';
import t from 'tap';
import { startChain } from '../scripts/lib/chain.js';
import { account, QlinkClient, type Account } from '../chain/src/index.js';
import {
  batchHash,
  batchHeader,
  claimMessage,
  rekeyMessage,
  rekeyStatement,
  scriptHashOf,
  toHex,
  voucherMessage,
  walletSignedMessage,
} from '../protocol/src/index.js';
import { compressedPublicKey, newKeyPair, privateKeyFromHex, privateKeyHex, publicKeyFromHex, signP256, verifyP256 } from '../protocol/src/node/index.js';
import { signWithNeon, signWithNoble } from './helpers/signers.js';
import { PLAN_1, TEST_PLANS } from './helpers/plans.js';

// The shared vectors (written by contract/tests/vectors_test.go) and three
// signers, each of which the contract must accept.
const vectors = JSON.parse(readFileSync(new URL('../../test/fixtures/chain/vectors.json', import.meta.url), 'utf8'));

t.test('vectors: local byte builders and all three signers', async (t) => {
  const v = vectors.voucher;
  const msg = voucherMessage({ networkMagic: v.magic, contract: v.contract }, BigInt(v.channelId), BigInt(v.amount));
  t.equal(toHex(msg), v.message, 'voucher bytes');
  const a = vectors.anchor;
  const am = batchHeader({ networkMagic: a.magic, contract: a.contract }, a.publicKey, a.seq, a.prev, a.root);
  t.equal(toHex(am), a.message, 'anchor bytes');
  t.equal(batchHash(am), a.hash, 'anchor hash');

  const key = privateKeyFromHex(v.privateKey);
  t.equal(compressedPublicKey(key), v.publicKey);
  const pub = publicKeyFromHex(v.publicKey);
  t.ok(verifyP256(msg, Buffer.from(v.signature, 'hex'), pub), 'vector signature verifies in node:crypto');
  // RFC 6979 makes noble's signature the same bytes as neo-go's.
  t.equal(signWithNoble(v.privateKey, msg).toString('hex'), v.signature, 'noble signs the vector exactly');
  t.ok(verifyP256(msg, signP256(key, msg), pub), 'node:crypto signature verifies');
  t.ok(verifyP256(msg, signWithNeon(v.privateKey, msg), pub), 'neon-js signature verifies');
  t.ok(verifyP256(am, Buffer.from(a.signature, 'hex'), a.publicKey), 'anchor vector verifies');

  const c = vectors.claim;
  const cm = claimMessage({ networkMagic: c.magic, contract: c.contract }, c.publicKey, c.owner, BigInt(c.claimUntil));
  t.equal(toHex(cm), c.message, 'claim bytes');
  t.ok(verifyP256(cm, Buffer.from(c.signature, 'hex'), c.publicKey), 'claim vector verifies');
  const rk = vectors.rekey;
  const rm = rekeyMessage({ networkMagic: rk.magic, contract: rk.contract }, BigInt(rk.channelId), rk.oldKey, rk.newKey);
  t.equal(toHex(rm), rk.message, 'rekey bytes');
  t.equal(rekeyStatement(rm), rk.statement, 'rekey statement (the text a wallet signs)');
  t.equal(toHex(walletSignedMessage(rk.salt, rk.statement)), rk.signed, 'wallet signMessage wrapping, salted');
  t.equal(toHex(walletSignedMessage('', rk.statement)), rk.signedNoSalt, 'and without salt');
  t.ok(verifyP256(walletSignedMessage(rk.salt, rk.statement), Buffer.from(rk.signature, 'hex'), rk.guestPublicKey), 'rekey proof vector verifies');
  t.equal('0x' + scriptHashOf(rk.guestPublicKey), rk.guest, "the proof key's account is the guest's");
});

const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (name: string): Account => account(state.wallets[name]?.wif ?? '');
const [owner, router, gateway] = [w('owner'), w('router2'), w('gateway')];
const domain = { networkMagic: state.networkMagic, contract: state.contract };
const GAS_1 = 100_000_000n;

await client.registerRouter(owner, router, TEST_PLANS);

async function open(guest: Account, voucherKey: string, amount = 2n * GAS_1): Promise<bigint> {
  const expiry = (await client.chainTime()) + 600_000n;
  const r = await client.openChannel(guest, { router: router.publicKey, voucherKey, expiry, amount, ...PLAN_1 });
  return r.events.find((e) => e.name === 'ChannelOpened')?.params.id as bigint;
}

t.test('vouchers by node:crypto, neon-js and noble all verify in the contract', async (t) => {
  const kp = newKeyPair();
  const hex = privateKeyHex(kp.privateKey);
  const id = await open(w('guest3'), kp.publicKey);
  t.equal(toHex(await client.voucherMessage(id, 5n)), toHex(voucherMessage(domain, id, 5n)), 'contract builds the same bytes');
  const signers: [string, (m: Uint8Array) => Uint8Array][] = [
    ['node:crypto', (m) => signP256(kp.privateKey, m)],
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
  const items = ids.map((id, i) => ({
    id,
    amount: (BigInt(i + 1) * GAS_1) / 10n,
    signature: signP256(keys[i]!.privateKey, voucherMessage(domain, id, (BigInt(i + 1) * GAS_1) / 10n)),
  }));
  const r = await client.redeemBatch(gateway, items);
  t.equal(r.events.filter((e) => e.name === 'ChannelRedeemed').length, 3);
  t.equal(await client.balanceOf(owner.address), owner0 + (6n * GAS_1) / 10n);

  const id = ids[0]!;
  const final = GAS_1 / 2n;
  const guest0 = await client.balanceOf(guest.address);
  const sig = signP256(keys[0]!.privateKey, voucherMessage(domain, id, final));
  await t.rejects(client.close([gateway], { id, amount: final, signature: sig }, gateway), /closer not authorised/, 'a key the owner never named cannot close');
  const auth = await client.setCloser(owner, '0x' + gateway.scriptHash, true);
  t.same(auth.events[0], { name: 'CloserSet', params: { owner: '0x' + owner.scriptHash, closer: '0x' + gateway.scriptHash, allowed: true } });
  t.equal(await client.isCloser('0x' + owner.scriptHash, '0x' + gateway.scriptHash), true);
  const c = await client.close([gateway], { id, amount: final, signature: sig }, gateway);
  const ev = c.events.find((e) => e.name === 'ChannelClosed');
  t.equal(ev?.params.paid, final - GAS_1 / 10n, 'close by the closer pays the rise to the owner');
  t.equal(ev?.params.refunded, 2n * GAS_1 - final, 'and returns the rest');
  t.equal(await client.balanceOf(guest.address), guest0 + 2n * GAS_1 - final, 'guest refunded at once, fees paid by the gateway');
  await client.setCloser(owner, '0x' + gateway.scriptHash, false);
  const id2 = ids[1]!;
  const sig2 = signP256(keys[1]!.privateKey, voucherMessage(domain, id2, GAS_1 / 2n));
  await t.rejects(client.close([gateway], { id: id2, amount: GAS_1 / 2n, signature: sig2 }, gateway), /closer not authorised/, 'a revoked closer cannot');
  const byOwner = await client.close([gateway], { id: id2, amount: GAS_1 / 2n, signature: sig2 }, owner);
  t.equal(byOwner.vmstate, 'HALT', 'the owner still can (gateway pays, owner witnesses)');
});

t.test('rekey by the wallet signMessage proof: vouchers by the old key stop, the new one pays', async (t) => {
  const guestKey = newKeyPair();
  const guest = w('guest4');
  const old = newKeyPair();
  const id = await open(guest, old.publicKey);
  const fresh = newKeyPair();
  const statement = rekeyStatement(rekeyMessage(domain, id, old.publicKey, fresh.publicKey));
  const salt = '00112233445566778899aabbccddeeff';
  // The guest's wallet key is the account that funded the channel.
  const walletKey = privateKeyFromHex(guest.privateKey);
  const proof = { publicKey: guest.publicKey, salt, signature: signP256(walletKey, walletSignedMessage(salt, statement)) };
  const r = await client.rekey([gateway], id, fresh.publicKey, proof);
  t.same(r.events[0], { name: 'ChannelRekeyed', params: { id, voucherKey: fresh.publicKey } }, 'anyone may send the proof');
  await t.rejects(
    client.redeem(gateway, { id, amount: 1n, signature: signP256(old.privateKey, voucherMessage(domain, id, 1n)) }),
    /bad voucher signature/,
    'the lost key buys nothing',
  );
  const ok = await client.redeem(gateway, { id, amount: 1n, signature: signP256(fresh.privateKey, voucherMessage(domain, id, 1n)) });
  t.equal(ok.vmstate, 'HALT', 'the new key pays');
  await t.rejects(client.rekey([gateway], id, fresh.publicKey, proof), /bad rekey signature/, 'the proof works once');
  t.ok(guestKey, 'guest key unused');
});

t.test('settlement rounds anchor in order, by the anchorer alone', async (t) => {
  const anchorer = '0x' + gateway.scriptHash;
  const head = await client.getRound(anchorer);
  const next = head.round + 1n;
  const a1 = await client.anchorRound(gateway, next, 'aa'.repeat(32));
  t.same(a1.events[0], { name: 'RoundAnchored', params: { anchorer, round: next, root: 'aa'.repeat(32) } });
  t.comment(`anchorRound: ${a1.systemFee} + ${a1.networkFee} GAS fractions, ${a1.size} bytes`);
  await t.rejects(client.anchorRound(gateway, next, 'bb'.repeat(32)), /round out of order/, 'a round is not replaced');
  await t.rejects(client.anchorRound(gateway, next + 2n, 'bb'.repeat(32)), /round out of order/, 'nor skipped');
  await client.anchorRound(gateway, next + 1n, 'bb'.repeat(32));
  t.same(await client.getRound(anchorer), { round: next + 1n, root: 'bb'.repeat(32) });
  t.same(await client.getRound('0x' + owner.scriptHash), { round: 0n, root: '00'.repeat(32) }, 'each anchorer has rounds of its own');
});
