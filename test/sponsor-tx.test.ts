import { tx, u, wallet } from '@cityofzion/neon-js';
import t from 'tap';
import { completeSponsored, guestWitness, invocationScript, offerShapes, openInvocation, withMargin } from '../chain/src/sponsor.js';
import { openScript } from '../chain/src/scripts.js';

// The sponsored opening's shapes and the gateway's check that the wallet signed exactly what it built, without a chain.
const MAGIC = 1903980139;
const CONTRACT = '0x218642d807b2cbe2adb53c9061afd99f154e9479';
const sponsor = new wallet.Account(wallet.generatePrivateKey());
const guest = new wallet.Account(wallet.generatePrivateKey());
const other = new wallet.Account(wallet.generatePrivateKey());
const open = {
  router: '03' + 'aa'.repeat(32),
  voucherKey: '02' + 'bb'.repeat(32),
  expiry: 1_800_000_000_000n,
  amount: 100_000_000n,
  planId: 1,
  planVersion: 2,
};

function built(script = invocationScript(openInvocation(CONTRACT, '0x' + guest.scriptHash, open))) {
  const t0 = new tx.Transaction({
    signers: [
      { account: sponsor.scriptHash, scopes: tx.WitnessScope.None },
      { account: guest.scriptHash, scopes: tx.WitnessScope.CalledByEntry },
    ],
    script,
    validUntilBlock: 1234,
    systemFee: u.BigInteger.fromDecimal('28300000', 0),
    networkFee: u.BigInteger.fromDecimal('2430000', 0),
  });
  return t0;
}

/** What NeoLine's signTransaction popup does (NL neo3-sign-transaction.component.ts): new Transaction(json), sign with the magic passed, export. */
const neolineSigns = (json: unknown, who = guest) => {
  const x = new tx.Transaction(json as never);
  x.sign(who, MAGIC);
  return x.export();
};

t.test('the script is the open transfer, then ASSERT (abortOnFail)', async (t) => {
  const inv = openInvocation(CONTRACT, '0x' + guest.scriptHash, open);
  t.equal(invocationScript(inv), openScript(CONTRACT, '0x' + guest.scriptHash, open) + '39');
  t.match(inv.args[3], {
    type: 'Array',
    value: [{ type: 'Integer', value: '0' }, { type: 'ByteArray' }, { type: 'ByteArray' }, { value: '1800000000000' }, { value: '1' }, { value: '2' }],
  });
  t.equal(withMargin(1000n, 10), 1010n);
  t.equal(withMargin(1001n, 10), 1012n, 'rounded up');
});

t.test('NeoLine signTransaction shape: accepted, completed in signer order', async (t) => {
  const b = built();
  const { transaction, context } = offerShapes(b, MAGIC, [sponsor.publicKey, null]);
  t.match(transaction, {
    signers: [
      { account: sponsor.scriptHash, scopes: 0 },
      { account: guest.scriptHash, scopes: 1 },
    ],
    attributes: [],
    witnesses: [],
  });
  t.same(Object.keys(context.items), [sponsor.scriptHash, guest.scriptHash], 'items keyed without 0x, as NeoLine compares them');
  const w = guestWitness(b, MAGIC, '0x' + guest.scriptHash, { transaction: neolineSigns(transaction) as never });
  const raw = completeSponsored(b, MAGIC, sponsor, w);
  const done = tx.Transaction.deserialize(raw.toString('hex'));
  t.equal(done.hash(), b.hash());
  t.same(
    done.witnesses.map((x) => x.scriptHash),
    [sponsor.scriptHash, guest.scriptHash],
    'the sponsor first',
  );
});

t.test('NEP-21 sign(context): the guest signature from the context item', async (t) => {
  const b = built();
  const { context } = offerShapes(b, MAGIC, [sponsor.publicKey, null]);
  const sig = wallet.sign(b.getMessageForSigning(MAGIC), guest.privateKey);
  const signed = {
    ...context,
    items: {
      ...context.items,
      [guest.scriptHash]: { ...context.items[guest.scriptHash], signatures: { [guest.publicKey]: Buffer.from(sig, 'hex').toString('base64') } },
    },
  };
  t.ok(guestWitness(b, MAGIC, '0x' + guest.scriptHash, { context: signed as never }));
  await t.throws(
    () => guestWitness(b, 894710606, '0x' + guest.scriptHash, { context: { ...signed, network: 894710606 } as never }),
    /not the transaction|does not verify/,
    'another network',
  );
});

t.test('anything altered after it was built is refused before the gateway signs', async (t) => {
  const b = built();
  const { transaction } = offerShapes(b, MAGIC, [sponsor.publicKey, null]);
  const refused = (json: unknown, why: RegExp, what: string) =>
    t.throws(() => guestWitness(b, MAGIC, '0x' + guest.scriptHash, { transaction: json as never }), why, what);
  const script = (p: Partial<typeof open>) => invocationScript(openInvocation(CONTRACT, '0x' + guest.scriptHash, { ...open, ...p }));
  refused(neolineSigns({ ...transaction, script: script({ amount: 1n }) }), /not the transaction the gateway built/, 'another amount');
  refused(
    neolineSigns({ ...transaction, script: invocationScript(openInvocation('0x' + other.scriptHash, '0x' + guest.scriptHash, open)) }),
    /not the transaction/,
    'another payee',
  );
  refused(neolineSigns({ ...transaction, script: transaction.script + script({}) }), /not the transaction/, 'an extra call');
  refused(neolineSigns({ ...transaction, systemFee: '99999999' }), /not the transaction/, 'another fee');
  refused(neolineSigns({ ...transaction, validUntilBlock: 99999 }), /not the transaction/, 'another validity');
  refused(neolineSigns({ ...transaction, signers: [transaction.signers[1], transaction.signers[0]] }), /not the transaction/, 'signers swapped');
  refused(transaction, /signature is missing/, 'unsigned');
  refused(neolineSigns(transaction, other), /missing|not by the guest/, "another account's signature");
  const forged = neolineSigns(transaction) as { witnesses: Array<{ invocationScript: string }> };
  forged.witnesses[0]!.invocationScript = '0c40' + '11'.repeat(64);
  refused(forged, /does not verify/, 'a forged signature');
});
