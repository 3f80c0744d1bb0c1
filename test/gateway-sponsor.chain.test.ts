import { pino } from 'pino';
import t from 'tap';
import { account, FetchJsonRpc, GAS, QlinkClient, transferScript } from '../chain/src/index.js';
import { invocationScript, openInvocation } from '../chain/src/sponsor.js';
import { sc, wallet } from '@cityofzion/neon-js';
import { rekeyMessage, rekeyStatement, type RpcRequest } from '../protocol/src/index.js';
import { newKeyPair } from '../protocol/src/node/index.js';
import { ChannelIndexer } from '../gateway/src/index/indexer.js';
import { dispatchWallet } from '../gateway/src/rpc/wallet-handlers.js';
import type { RpcDeps } from '../gateway/src/rpc/handlers.js';
import { sponsorConfigSchema } from '../gateway/src/sponsor/config.js';
import { Offers } from '../gateway/src/sponsor/offers.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { startChain } from '../scripts/lib/chain.js';
import { startShim } from '../scripts/lib/wallet-shim.js';
import { MemoryRegistry } from './fakes/memory-registry.js';
import { freePort } from './helpers/mosquitto.js';
import { PLAN_1, TEST_PLANS } from './helpers/plans.js';
import { jsonRpc, Prompts } from './wallets/core.js';
import { NeoLineDouble } from './wallets/neoline.js';
import { Nep21Double } from './wallets/nep21.js';
import { checkedAuth } from './helpers/gateway-key.js';

// The gateway's side of the wallet path on a real neo-go chain: the
// sponsored opening built, signed by the wallet doubles (NeoLine's
// signTransaction, NEP-21 sign(context)), checked, signed and relayed; the
// guest pays exactly the deposit and the sponsor exactly the fee; anything
// altered after it was built, and any router not registered, is refused
// before the gateway signs; the invoke quote is the fee the wallet pays, to
// the unit; the limits; a rekey by signMessage proof; the channel index.
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const w = (n: string) => account(state.wallets[n]!.wif);
const [owner, router, stranger, sponsor] = [w('owner'), w('router1'), w('router3'), w('sponsor')];
await client.registerRouter(owner, router, TEST_PLANS);
const log = pino({ level: process.env.QLINK_TEST_LOG ?? 'silent' });
const store = await openSqliteStore(':memory:');
t.teardown(() => store.close());
const shimPort = await freePort();
const shim = await startShim({ host: '127.0.0.1', port: shimPort, upstream: state.rpc });
t.teardown(() => new Promise<void>((r) => shim.close(() => r())));
const walletRpc = jsonRpc({ url: `http://127.0.0.1:${shimPort}` });
const network = { chainId: 0, magicNumber: state.networkMagic, name: 'qlink private', rpcUrl: `http://127.0.0.1:${shimPort}` };
const neoline = (name: string, policy?: Prompts['policy']) =>
  new NeoLineDouble({ wif: state.wallets[name]!.wif, network, rpc: walletRpc, prompts: new Prompts(policy) });
const config = (over: object = {}) =>
  sponsorConfigSchema.parse({ wif: sponsor.WIF, perGuestPerDay: 3, minDeposit: 1_000_000, ownerDailyBudget: 10_000_000_000, ...over });
const offers = new Offers({ client, books: store.sponsor, sponsor: { config: config(), account: sponsor }, log });
const registry = new MemoryRegistry();
const me = registry.add(router.publicKey, '0x' + owner.scriptHash);
const deps = {
  store: store.settlement,
  registry,
  chain: {} as RpcDeps['chain'],
  deployment: state,
  log,
  wallet: { offers, index: store.channels, indexer: null },
} as RpcDeps;
const indexer = new ChannelIndexer({ rpc: new FetchJsonRpc(state.rpc), contract: state.contract, store: store.channels, log, fromBlock: 0, pollMs: 200 });
indexer.start();
t.teardown(() => indexer.stop());

const DEPOSIT = 50_000_000n;
const gas = (who: string) => client.balanceOf(who);
const params = async (guest: string, over: object = {}) => ({
  router: router.publicKey,
  guest,
  amount: Number(DEPOSIT),
  voucherKey: newKeyPair().publicKey,
  expiry: Number(await client.chainTime()) + 86_400_000,
  ...PLAN_1,
  ...over,
});
/** What the router asks and the gateway answers, in order (relay-like methods answer twice). */
async function submit(p: Parameters<Offers['submit']>[1]): Promise<unknown[]> {
  const answers: unknown[] = [];
  await offers.submit(me, p, (r) => answers.push(r));
  return answers;
}

t.test('a sponsored opening signed by NeoLine signTransaction: the guest pays exactly the deposit, the sponsor exactly the fee', async (t) => {
  const guest = neoline('guest1');
  const hash = '0x' + guest.account.scriptHash;
  const o = await offers.offer(me, await params(hash));
  t.ok(o.sponsored, `sponsored (${o.refusal ?? 'no refusal'})`);
  t.ok(o.invoke && o.invoke.fee > 0n, 'and the invoke quote beside it');
  const s = o.sponsored!;
  t.match(s.transaction, { attributes: [], signers: [{ scopes: 0 }, { scopes: 1 }] }, 'sponsor first (None), guest second (CalledByEntry), no attributes');
  const [g0, s0] = [await gas(guest.account.address), await gas(sponsor.address)];
  const signed = await guest.handle('signTransaction', { transaction: s.transaction, magicNumber: s.magicNumber }, 'portal');
  const answers = await submit({ router: router.publicKey, txid: s.txid, transaction: signed as never, waitMs: 30_000 });
  t.match(answers, [
    { state: 'relayed', txid: s.txid },
    { state: 'confirmed', vmstate: 'HALT', txid: s.txid },
  ]);
  const channelId = (answers[1] as { channelId: bigint }).channelId;
  t.ok(channelId > 0n, `channel ${channelId} from the application log`);
  t.equal(g0 - (await gas(guest.account.address)), DEPOSIT, 'the guest paid exactly the deposit');
  t.equal(s0 - (await gas(sponsor.address)), s.fee, `the sponsor paid exactly the fee (${s.fee})`);
  t.match(await store.sponsor.get(s.txid), { status: 'confirmed', kind: 'open', channelId: Number(channelId), guest: hash });
  t.equal(guest.prompts.seen.map((p) => p.kind).join(','), 'authorization,sign-transaction', 'one confirmation (after connecting the site)');
  await indexer.caughtUp((await client.rpc.getBlockCount()) - 1, 10_000);
  t.match(
    await store.channels.byGuest(hash, { open: true }),
    [{ id: Number(channelId), deposit: Number(DEPOSIT), closed: false, owner: '0x' + owner.scriptHash }],
    'the index finds it by the guest',
  );
  const listed: unknown[] = [];
  await dispatchWallet(
    router.address,
    { v: 1, id: 'c', auth: checkedAuth(router.publicKey), method: 'channels', params: { router: router.publicKey, guest: hash } },
    deps,
    (r) => listed.push(r),
  );
  t.match(listed, [{ channels: [{ id: Number(channelId), redeemed: 0, newest: null }] }], "and the channels method lists it for the owner's router");
});

t.test("the same through NEP-21 sign(context) (NeoLine's provider)", async (t) => {
  const prompts = new Prompts();
  const guest = new Nep21Double({ flavor: 'neoline', wif: state.wallets.guest2!.wif, network, rpc: walletRpc, prompts });
  const o = await offers.offer(me, await params('0x' + guest.account.scriptHash));
  const [g0, s0] = [await gas(guest.account.address), await gas(sponsor.address)];
  const context = await guest.handle('sign', [o.sponsored!.context], 'portal');
  const answers = await submit({ router: router.publicKey, txid: o.sponsored!.txid, context: context as never, waitMs: 30_000 });
  t.match(answers[1], { state: 'confirmed' });
  t.equal(g0 - (await gas(guest.account.address)), DEPOSIT);
  t.equal(s0 - (await gas(sponsor.address)), o.sponsored!.fee);
});

t.test('altered after the gateway built it: refused before the gateway signs, nothing sent', async (t) => {
  const guest = neoline('guest3');
  const hash = '0x' + guest.account.scriptHash;
  const s0 = await gas(sponsor.address);
  const p = await params(hash);
  const o = await offers.offer(me, p);
  const s = o.sponsored!;
  const open = { router: router.publicKey, voucherKey: p.voucherKey, expiry: BigInt(p.expiry), amount: DEPOSIT, ...PLAN_1 };
  const scripts: Array<[string, string]> = [
    ['another amount', invocationScript(openInvocation(state.contract, hash, { ...open, amount: 1n }))],
    ['another payee', transferScript(GAS, hash, '0x' + stranger.scriptHash, DEPOSIT, sc.ContractParam.any(null)) + '39'],
    ['an extra call', s.transaction.script + transferScript(GAS, hash, '0x' + stranger.scriptHash, 1n, sc.ContractParam.any(null))],
  ];
  for (const [what, script] of scripts) {
    const signed = await guest.handle('signTransaction', { transaction: { ...s.transaction, script }, magicNumber: s.magicNumber }, 'portal');
    await t.rejects(
      submit({ router: router.publicKey, txid: s.txid, transaction: signed as never, waitMs: 0 }),
      { code: 'refused', message: /not the transaction the gateway built/ },
      what,
    );
  }
  await t.rejects(
    submit({ router: router.publicKey, txid: s.txid, transaction: s.transaction as never, waitMs: 0 }),
    { code: 'refused', message: /signature is missing/ },
    'unsigned',
  );
  t.equal((await store.sponsor.get(s.txid))?.status, 'offered', 'never marked sent');
  t.equal(await gas(sponsor.address), s0, "the sponsor's balance did not move");
});

t.test('a router not registered on chain: nothing built, nothing signed', async (t) => {
  const guest = neoline('guest4');
  const req = {
    v: 1,
    id: 'x',
    auth: checkedAuth(stranger.publicKey),
    method: 'offer',
    params: { ...(await params('0x' + guest.account.scriptHash)), router: stranger.publicKey },
  } as Extract<RpcRequest, { method: 'offer' }>;
  await t.rejects(
    dispatchWallet(stranger.address, req, deps, () => {}),
    { code: 'unknown-router' },
    'refused by the registry',
  );
  // And were the registry wrong, the chain's test run refuses it before anything is built.
  const fake = { ...me, address: stranger.address, publicKey: stranger.publicKey };
  await t.rejects(offers.offer(fake, { ...req.params }), { code: 'refused', message: /unknown router/ });
});

t.test("the wallet's own invoke: the fee quoted is the fee paid, to the unit (NeoLine fee 0 + overrideSystemFee; OneGate suggestedSystemFee)", async (t) => {
  const noSponsor = new Offers({ client, books: store.sponsor, sponsor: null, log });
  for (const [name, make] of [
    ['NeoLine', () => neoline('guest5')],
    ['OneGate', () => new Nep21Double({ flavor: 'onegate', wif: state.wallets.spare!.wif, network, rpc: walletRpc, prompts: new Prompts() })],
  ] as const) {
    const wallet = make();
    const hash = '0x' + wallet.account.scriptHash;
    const o = await noSponsor.offer(me, await params(hash));
    t.equal(o.sponsored, null);
    t.equal(o.refusal, 'this hotspot does not pay network fees');
    const q = o.invoke!;
    const before = await gas(wallet.account.address);
    const decimals = (v: bigint) => (Number(v) / 1e8).toFixed(8);
    const txid =
      wallet instanceof NeoLineDouble
        ? (
            (await wallet.handle(
              'invoke',
              {
                scriptHash: q.scriptHash,
                operation: q.operation,
                args: q.args,
                abortOnFail: true,
                signers: [{ account: hash.slice(2), scopes: 1 }],
                fee: '0',
                overrideSystemFee: decimals(q.systemFee),
                validUntilBlock: q.validUntilBlock,
              },
              'portal',
            )) as { txid: string }
          ).txid
        : ((await wallet.handle(
            'invoke',
            [
              [{ hash: q.scriptHash, operation: q.operation, args: q.args, abortOnFail: true }],
              [{ account: hash, scopes: 'CalledByEntry' }],
              [],
              { suggestedSystemFee: q.systemFee.toString(), validUntilBlock: q.validUntilBlock },
            ],
            'portal',
          )) as string);
    const ex = await client.tx.execution(txid, 30_000);
    t.equal(ex.vmstate, 'HALT', `${name}: opened`);
    t.equal(
      before - (await gas(wallet.account.address)),
      DEPOSIT + q.fee,
      `${name}: paid the deposit and exactly the quoted fee ${q.fee} (${q.systemFee} + ${q.networkFee})`,
    );
  }
});

t.test("limits: a guest a day, a minimum deposit, an owner's daily budget; each refusal says which", async (t) => {
  const tight = new Offers({
    client,
    books: store.sponsor,
    sponsor: { config: config({ perGuestPerDay: 1, minDeposit: 100_000_000 }), account: sponsor },
    log,
  });
  const small = await tight.offer(me, await params('0x' + w('guest1').scriptHash));
  t.match(small, { sponsored: null, refusal: /deposits of 1 GAS or more/ });
  const again = await tight.offer(me, await params('0x' + w('guest1').scriptHash, { amount: 100_000_000 }));
  t.match(again, { sponsored: null, refusal: /had 1 transactions paid by the hotspot today/ }, 'guest1 had one today');
  const broke = new Offers({ client, books: store.sponsor, sponsor: { config: config({ ownerDailyBudget: 1_000 }), account: sponsor }, log });
  t.match(await broke.offer(me, await params('0x' + w('guest4').scriptHash)), { sponsored: null, refusal: /budget .* is used up for today/ });
  const spent = await store.sponsor.spend('0x' + owner.scriptHash, null);
  t.ok(spent.fees > 0 && spent.opened === 2, `the books: ${spent.opened} channels opened for ${spent.fees} GAS units of fees`);
});

t.test('not enough GAS for the deposit: refused before anything is built', async (t) => {
  const hash = '0x' + new wallet.Account(wallet.generatePrivateKey()).scriptHash;
  await t.rejects(offers.offer(me, await params(hash)), { code: 'insufficient-funds', message: /holds 0 GAS; the deposit is 0.5 GAS/ });
});

t.test('rekey: the wallet signMessage over the rekey statement names a new voucher key; the sponsor sends it', async (t) => {
  const guest = neoline('guest1');
  const hash = '0x' + guest.account.scriptHash;
  const [held] = await store.channels.byGuest(hash, { open: true });
  t.ok(held, 'the channel guest1 opened above');
  const next = newKeyPair().publicKey;
  const statement = rekeyStatement(rekeyMessage(state, BigInt(held!.id), held!.voucherKey, next));
  const proof = (await guest.handle('signMessage', { message: statement }, 'portal')) as { publicKey: string; data: string; salt: string };
  const answers: unknown[] = [];
  await offers.rekey(
    me,
    {
      router: router.publicKey,
      channelId: held!.id,
      newKey: next,
      proof: { publicKey: proof.publicKey, salt: proof.salt, signature: proof.data },
      waitMs: 30_000,
    },
    (r) => answers.push(r),
  );
  t.match(answers[1], { state: 'confirmed' });
  t.equal((await client.getChannel(BigInt(held!.id)))!.voucherKey, next, 'the chain has the new key');
  await indexer.caughtUp((await client.rpc.getBlockCount()) - 1, 10_000);
  t.equal((await store.channels.get(held!.id))!.voucherKey, next, 'and so does the index');
  const bad = newKeyPair().publicKey;
  await t.rejects(
    offers.rekey(
      me,
      { router: router.publicKey, channelId: held!.id, newKey: bad, proof: { publicKey: proof.publicKey, salt: proof.salt, signature: proof.data }, waitMs: 0 },
      () => {},
    ),
    { code: 'refused', message: /bad rekey signature/ },
    'a proof for another key: refused by the test run, nothing sent',
  );
});
