import { tx, u } from '@cityofzion/neon-js';
import type { Logger } from 'pino';
import type { QlinkClient } from '../../../chain/src/client.js';
import type { Account } from '../../../chain/src/neon.js';
import { call, rekeyArgs } from '../../../chain/src/scripts.js';
import {
  buildSponsored,
  completeSponsored,
  guestWitness,
  invocationScript,
  networkFeeOf,
  NotTheTransaction,
  offerShapes,
  openInvocation,
  withMargin,
  type Sponsorable,
  type TestRun,
} from '../../../chain/src/sponsor.js';
import { fromHex, parseEvents, type OfferAnswer, type RpcParams } from '../../../protocol/src/index.js';
import { RpcError } from '../rpc/errors.js';
import type { RouterInfo } from '../store/types.js';
import type { Sponsored, SponsorStore } from '../store/wallet-types.js';
import { type SponsorConfig, utcDay } from './config.js';

const gasText = (units: bigint | number) => `${(Number(units) / 1e8).toFixed(8).replace(/\.?0+$/, '')} GAS`;

export interface OffersDeps {
  client: QlinkClient;
  books: SponsorStore;
  /** Null: sponsoring is off; the wallet's own invoke is still quoted. */
  sponsor: { config: SponsorConfig; account: Account } | null;
  log: Logger;
  clock?: () => number;
  /** Blocks an invoke quote stays valid (the wallet is told validUntilBlock). */
  invokeValidForBlocks?: number;
}

type Reply = (result: unknown) => void;

/**
 * The wallet path's chain side: for a guest's channel opening, the quote of
 * the wallet's own invoke (the guest pays the fees) and, within the
 * operator's limits, a sponsored transaction (the hotspot pays them); then,
 * once the wallet signed, the check that it signed exactly what was built,
 * the sponsor's signature, the relay and the block's verdict. Also the
 * sponsored rekey that names a new voucher key for a guest who lost theirs.
 */
export class Offers {
  readonly #clock: () => number;

  constructor(private readonly d: OffersDeps) {
    this.#clock = d.clock ?? Date.now;
  }

  get #magic(): number {
    return this.d.client.config.networkMagic;
  }
  get #contract(): string {
    return this.d.client.config.contract;
  }

  async offer(router: RouterInfo, p: RpcParams<'offer'>): Promise<OfferAnswer> {
    const c = this.d.client;
    const amount = BigInt(p.amount);
    const balance = await c.balanceOf(p.guest);
    if (balance < amount) throw new RpcError('insufficient-funds', `the wallet holds ${gasText(balance)}; the deposit is ${gasText(amount)}`);
    const inv = openInvocation(this.#contract, p.guest, {
      router: router.publicKey,
      voucherKey: p.voucherKey,
      expiry: BigInt(p.expiry),
      amount,
      planId: p.planId,
      planVersion: p.planVersion,
    });
    const script = invocationScript(inv);
    const invoke = await this.#quote(inv, script, p.guest, p.guestKey ?? null);
    let refusal = await this.#refusal(router, p.guest, amount, invoke.fee);
    let sponsored: OfferAnswer['sponsored'] = null;
    if (!refusal && this.d.sponsor) {
      const { config, account } = this.d.sponsor;
      const built = await buildSponsored(c.rpc, account, p.guest, script, {
        validForBlocks: config.validForBlocks,
        guestKey: p.guestKey ?? null,
        marginPermille: config.systemFeeMarginPermille,
      }).catch((e: Error) => {
        throw new RpcError('refused', `the chain would refuse this opening: ${e.message.slice(0, 240)}`);
      });
      opened(built.run, this.#contract);
      const fee = built.systemFee + built.networkFee;
      refusal = await this.#budgetRefusal(router.owner, fee);
      if (!refusal) {
        const now = this.#clock();
        await this.d.books.addOffer(offeredRow(built, 'open', router, p.guest, Number(amount), null, now));
        const shapes = offerShapes(built.t, this.#magic, [account.publicKey, p.guestKey ?? null]);
        sponsored = { txid: built.txid, ...shapes, magicNumber: this.#magic, sponsor: account.address, fee, validUntilBlock: built.t.validUntilBlock };
        this.d.log.info({ router: router.address, guest: p.guest, txid: built.txid, fee: String(fee) }, 'sponsored opening offered');
      }
    }
    return { balance, sponsored, refusal, invoke };
  }

  /** The wallet's own invoke of the same script, the guest the only signer: its system fee (with NeoLine's 1 %) and the network fee the node charges for it. */
  async #quote(inv: ReturnType<typeof openInvocation>, script: string, guest: string, guestKey: string | null): Promise<NonNullable<OfferAnswer['invoke']>> {
    const rpc = this.d.client.rpc;
    const signer = new tx.Signer({ account: guest.replace(/^0x/, ''), scopes: tx.WitnessScope.CalledByEntry });
    const run = (await rpc.invokeScript(u.HexString.fromHex(script), [signer])) as unknown as TestRun;
    if (run.state !== 'HALT') throw new RpcError('refused', `the chain would refuse this opening: ${(run.exception ?? 'FAULT').slice(0, 240)}`);
    opened(run, this.#contract);
    const systemFee = withMargin(BigInt(run.gasconsumed), 10);
    const validUntilBlock = (await rpc.getBlockCount()) + (this.d.invokeValidForBlocks ?? 240);
    const t = new tx.Transaction({
      signers: [signer],
      script: u.HexString.fromHex(script),
      validUntilBlock,
      systemFee: u.BigInteger.fromDecimal(systemFee.toString(), 0),
    });
    const networkFee = await networkFeeOf(rpc, t, [guestKey]);
    return { ...inv, signers: [{ account: guest, scopes: 'CalledByEntry' }], validUntilBlock, systemFee, networkFee, fee: systemFee + networkFee };
  }

  /** Why this opening is not sponsored, before anything is built; null when it may be. */
  async #refusal(router: RouterInfo, guest: string, amount: bigint, feeGuess: bigint): Promise<string | null> {
    const s = this.d.sponsor;
    if (!s || !s.config.enabled) return 'this hotspot does not pay network fees';
    if (s.config.owners && !s.config.owners.some((o) => o.toLowerCase() === router.owner.toLowerCase()))
      return "this hotspot's owner is not sponsored by its gateway";
    if (amount < BigInt(s.config.minDeposit)) return `the hotspot pays the fee for deposits of ${gasText(s.config.minDeposit)} or more`;
    const day = utcDay(this.#clock());
    if ((await this.d.books.guestCount(guest, day)) >= s.config.perGuestPerDay) {
      return `this account had ${s.config.perGuestPerDay} transactions paid by the hotspot today, the most it pays for one guest a day`;
    }
    return this.#budgetRefusal(router.owner, feeGuess);
  }

  async #budgetRefusal(owner: string, fee: bigint): Promise<string | null> {
    const s = this.d.sponsor!;
    const spent = await this.d.books.spend(owner, utcDay(this.#clock()));
    return BigInt(spent.fees) + fee > BigInt(s.config.ownerDailyBudget) ? "the hotspot's budget for paying guests' fees is used up for today" : null;
  }

  /**
   * The wallet's signature of an offer: refused unless it is for exactly the
   * transaction built (checked before the gateway signs anything) and the
   * limits still allow it; then signed, relayed, and followed to its block.
   */
  async submit(router: RouterInfo, p: RpcParams<'sponsored'>, reply: Reply): Promise<void> {
    const s = this.d.sponsor;
    if (!s) throw new RpcError('not-sponsored', 'this hotspot does not pay network fees');
    const offer = await this.d.books.get(p.txid.toLowerCase());
    if (!offer || offer.router !== router.address || offer.kind !== 'open') throw new RpcError('refused', 'no such offer from this router');
    if (offer.status !== 'offered') throw new RpcError('refused', `the offer was already ${offer.status}`);
    const built = tx.Transaction.deserialize(offer.raw);
    const height = await this.d.client.rpc.getBlockCount();
    if (height >= offer.validUntilBlock) {
      await this.d.books.settle(offer.txid, 'refused', this.#clock(), null, 'offer expired before it was signed');
      throw new RpcError('refused', 'the offer expired before the wallet signed it; ask for a new one');
    }
    let witness;
    try {
      witness = guestWitness(built, this.#magic, offer.guest, { transaction: p.transaction, context: p.context });
    } catch (e) {
      if (!(e instanceof NotTheTransaction)) throw e;
      this.d.log.warn({ router: router.address, txid: offer.txid, why: e.message }, 'sponsored transaction refused before signing');
      throw new RpcError('refused', e.message);
    }
    const raw = completeSponsored(built, this.#magic, s.account, witness);
    await this.#send(offer, raw, p.waitMs, reply);
  }

  /** A new voucher key for a guest's open channel, proved by the guest's wallet signMessage; the sponsor sends and pays it. */
  async rekey(router: RouterInfo, p: RpcParams<'rekey'>, reply: Reply): Promise<void> {
    const s = this.d.sponsor;
    if (!s || !s.config.enabled) throw new RpcError('not-sponsored', 'this hotspot does not send rekeys (no sponsor account)');
    const ch = await this.d.client.getChannel(BigInt(p.channelId));
    if (!ch || ch.closed) throw new RpcError('refused', 'no open channel with that id');
    if (ch.owner.toLowerCase() !== router.owner.toLowerCase()) throw new RpcError('refused', "the channel pays another router's owner");
    const script = call(
      this.#contract,
      'rekey',
      rekeyArgs(BigInt(p.channelId), p.newKey, { publicKey: p.proof.publicKey, salt: p.proof.salt, signature: fromHex(p.proof.signature, 64) }),
    );
    const built = await buildSponsored(this.d.client.rpc, s.account, null, script, {
      validForBlocks: 30,
      marginPermille: s.config.systemFeeMarginPermille,
    }).catch((e: Error) => {
      throw new RpcError('refused', `the chain would refuse this rekey: ${e.message.slice(0, 240)}`);
    });
    const now = this.#clock();
    const row = offeredRow(built, 'rekey', router, ch.guest, 0, Number(ch.id), now);
    await this.d.books.addOffer(row);
    const t = new tx.Transaction(built.t.export());
    t.sign(s.account, this.#magic);
    await this.#send(row, Buffer.from(t.serialize(true), 'hex'), p.waitMs, reply);
  }

  async #send(row: Sponsored, raw: Buffer, waitMs: number, reply: Reply): Promise<void> {
    const s = this.d.sponsor!;
    const why = await this.d.books.claim(row.txid, { perGuestPerDay: s.config.perGuestPerDay, ownerDailyBudget: s.config.ownerDailyBudget });
    if (why) throw new RpcError('not-sponsored', why);
    let txid: string;
    try {
      txid = await this.d.client.tx.relay(raw);
    } catch (e) {
      await this.d.books.settle(row.txid, 'refused', this.#clock(), null, (e as Error).message.slice(0, 300));
      throw new RpcError('refused', (e as Error).message.slice(0, 300));
    }
    this.d.log.info({ router: row.router, txid, kind: row.kind, fee: row.systemFee + row.networkFee }, 'sponsored transaction sent');
    reply({ state: 'relayed', txid });
    if (waitMs === 0) return;
    const out = await this.#follow(row, waitMs);
    reply(
      out
        ? { state: out.vmstate === 'HALT' ? 'confirmed' : 'faulted', txid, vmstate: out.vmstate, exception: out.exception, channelId: out.channelId }
        : { state: 'unconfirmed', txid },
    );
  }

  /** The block's verdict, settled in the books; null while it is not in a block. */
  async #follow(row: Sponsored, waitMs: number): Promise<{ vmstate: 'HALT' | 'FAULT'; exception: string | null; channelId: bigint | null } | null> {
    let ex;
    try {
      ex = await this.d.client.tx.execution(row.txid, waitMs);
    } catch (e) {
      if (/not in a block after/.test((e as Error).message)) return null;
      throw e;
    }
    const events = parseEvents(this.#contract, ex.notifications);
    const ev = events.find((e) => e.name === 'ChannelOpened' || e.name === 'ChannelRekeyed');
    const channelId = ev ? (ev.params.id as bigint) : null;
    await this.d.books.settle(
      row.txid,
      ex.vmstate === 'HALT' ? 'confirmed' : 'faulted',
      this.#clock(),
      channelId === null ? row.channelId : Number(channelId),
      ex.exception,
    );
    return { vmstate: ex.vmstate, exception: ex.exception, channelId };
  }

  /** Sent transactions whose verdict nobody waited for (an unconfirmed answer, a restart): settled now, or expired past their validity. */
  async reconcile(): Promise<void> {
    const height = await this.d.client.rpc.getBlockCount();
    for (const row of await this.d.books.unsettled(100)) {
      const out = await this.#follow(row, 0).catch(() => null);
      if (!out && height > row.validUntilBlock + 1) await this.d.books.settle(row.txid, 'expired', this.#clock(), null, 'never in a block');
    }
    await this.d.books.pruneOffers(this.#clock() - 86_400_000);
  }
}

/** A run that halts without opening a channel (a transfer that returned false, say) is refused as well. */
function opened(run: TestRun, contract: string): void {
  if (!parseEvents(contract, run.notifications as never).some((e) => e.name === 'ChannelOpened')) {
    throw new RpcError('refused', 'the test run opened no channel');
  }
}

/** The books' row of a sponsored transaction just built and not yet sent: what the owner's budget and the guest's daily limit count. */
function offeredRow(
  built: Sponsorable,
  kind: Sponsored['kind'],
  router: RouterInfo,
  guest: string,
  amount: number,
  channelId: number | null,
  now: number,
): Sponsored {
  return {
    txid: built.txid,
    kind,
    router: router.address,
    owner: router.owner,
    guest,
    amount,
    raw: built.t.serialize(false),
    systemFee: Number(built.systemFee),
    networkFee: Number(built.networkFee),
    validUntilBlock: built.t.validUntilBlock,
    day: utcDay(now),
    status: 'offered',
    createdAt: now,
    settledAt: null,
    channelId,
    detail: null,
  };
}
