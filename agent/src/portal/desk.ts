import type { AgentConfig } from '../config/schema.js';
import type { Gatekeeper } from '../gatekeeper.js';
import { LimitExceeded } from '../limits/refusal.js';
import { guestTag, type Logger } from '../log.js';
import type { SessionStore } from '../store/sessions.js';
import type { ChannelSource } from '../vouchers/channel-source.js';
import type { VoucherChecker, VoucherClaim, Refusal } from '../vouchers/check.js';
import type { ChannelLedger } from '../vouchers/ledger.js';
import type { VoucherStore } from '../vouchers/store.js';
import { PlanUnavailable, type PlanBook } from '../plans/book.js';
import { onOffer, planIdOfLabel, planLabel, sessionLimits } from '../plans/offer.js';
import type { PlanVersion } from '../plans/store.js';
import { actionProblem, ACTION_WINDOW_MS, type SignedAction } from './actions.js';
import { buildState } from './guest-state.js';
import { HttpError } from './http.js';
import type { CloseReport, GuestState, SessionAction } from '../../../protocol/src/index.js';

export type { GuestState };

/** A look-up that failed: the gateway or chain (503, try again), or the guest's own limit (429, as is). */
function lookupFailed(e: Error): never {
  if (e instanceof LimitExceeded) throw e;
  throw new HttpError(503, `cannot look the channel up now (${e.message.slice(0, 200)}); try again`);
}

export type Refused = { ok: false; reason: Refusal; detail: string; minimum?: bigint };

/** A guest about to pay: the plan version offered (what the channel will name), its label on the page, the voucher key. */
interface Pending {
  label: string;
  offer: PlanVersion;
  voucherKey: string;
  until: number;
}

/** One of the owner's plans on chain as the page lists it. */
export interface Offered {
  label: string;
  plan: PlanVersion;
}

/**
 * The guest side of paying: a pending payment per MAC (its plan and voucher
 * key, and the window in which the OS probes are told "online"), vouchers
 * that open or extend a session, the hold at zero credit, and log out.
 */
export class PaymentDesk {
  readonly #pending = new Map<string, Pending>();
  /** The channel a guest last paid with, so a held guest's top up finds it again. */
  readonly #lastChannel = new Map<string, bigint>();
  /** A signed resume: this MAC may take the channel's session over from another device until `until`. */
  readonly #resumed = new Map<string, { channelId: bigint; until: number }>();

  constructor(
    private readonly deps: {
      config: AgentConfig;
      gatekeeper: Gatekeeper;
      sessions: SessionStore;
      log: Logger;
      clock: () => number;
      checker?: VoucherChecker;
      vouchers?: VoucherStore;
      ledger?: ChannelLedger;
      channels?: ChannelSource;
      /** Hears each voucher taken (the gateway push). */
      onVoucher?: () => void;
      /** Closes a channel cooperatively at log out, or says when its refund opens. */
      close?: (channelId: bigint) => Promise<CloseReport>;
      /** This router's key: what a session action's signature names. */
      routerKey?: string;
      /** The owner's plans on chain: what the page lists and what a session is priced and shaped by. */
      plans?: PlanBook;
    },
  ) {}

  /** The owner's plans on offer now, at their current versions (the stored list while the chain cannot be read); `fresh`: wait for a read once the list is old. */
  async offered(fresh = false): Promise<Offered[]> {
    if (!this.deps.plans) return [];
    const now = this.deps.clock();
    const cur = await this.deps.plans.current({ wait: fresh });
    return cur.plans.filter((p) => onOffer(p.terms, now)).map((plan) => ({ label: planLabel(this.deps.config.plans, plan.planId), plan }));
  }

  /** A version's terms (stored, else read); a 503 that says why when they cannot be read now. */
  async #terms(owner: string, planId: number, version: number): Promise<PlanVersion> {
    if (!this.deps.plans) throw new HttpError(503, 'paying is not configured on this router (no plans source)');
    // Unavailable, or terms that do not decode (PlanTermsError): either way nothing is sold on them now.
    return this.deps.plans.ensure(owner, planId, version).catch((e: Error) => {
      const why = e instanceof PlanUnavailable ? e.message : `${e.name}: ${e.message}`;
      throw new HttpError(503, `cannot read the terms of plan ${planId} version ${version} now (${why.slice(0, 200)}); try again`);
    });
  }

  /** Vouchers can be checked here: a deployment and a way to read channels are configured. */
  get canPay(): boolean {
    return !!this.deps.checker && !!this.deps.ledger;
  }

  /** state() with the channel's current deposit, so the page knows how far it may sign after a top up. */
  async stateWithDeposit(mac: string): Promise<GuestState> {
    const s = this.state(mac);
    if (s.channelId === null || !this.deps.channels) return s;
    const c = await this.deps.channels.channel(BigInt(s.channelId)).catch((e: unknown) => {
      if (e instanceof LimitExceeded) throw e;
      return null;
    });
    return { ...s, deposit: c ? c.deposit.toString() : null };
  }

  /** The guest picked a plan (its label on the page): it must be on offer on chain now; the channel will name its current version. */
  async start(mac: string, label: string, voucherKey: string): Promise<Pending> {
    const planId = planIdOfLabel(this.deps.config.plans, label);
    // The version the channel will name: read fresh (the contract refuses an open that names a superseded one).
    const offered = planId === undefined ? undefined : (await this.offered(true)).find((o) => o.plan.planId === planId);
    if (!offered) throw new HttpError(404, `no plan ${label} on offer: this router's owner has not published it on chain (or withdrew it)`);
    const p = { label, offer: offered.plan, voucherKey, until: this.deps.clock() + this.deps.config.portal.paymentWindowSeconds * 1000 };
    this.#pending.set(mac, p);
    return p;
  }

  /** The guest gave up paying (the wallet refused, timed out, was on another network): nothing of the attempt is kept. */
  cancel(mac: string): GuestState {
    this.#pending.delete(mac);
    this.#resumed.delete(mac);
    return this.state(mac);
  }

  /**
   * A guest coming back to a channel they hold (another day, another of the
   * owner's routers, a new MAC): the channel's voucher key signed "resume"
   * for this router just now. The guest is then in the payment window with
   * the channel's plan, and the next voucher may take the channel's session
   * over from another device here.
   */
  async resume(mac: string, a: SignedAction): Promise<GuestState> {
    const c = await this.#signedBy(a, 'resume');
    // The channel keeps the version it was opened under, whatever the owner publishes later.
    const offer = await this.#terms(c.owner, c.planId, c.planVersion);
    const now = this.deps.clock();
    this.#pending.set(mac, {
      label: planLabel(this.deps.config.plans, c.planId),
      offer,
      voucherKey: c.voucherKey,
      until: now + this.deps.config.portal.paymentWindowSeconds * 1000,
    });
    this.#resumed.set(mac, { channelId: a.channelId, until: now + ACTION_WINDOW_MS });
    this.#lastChannel.set(mac, a.channelId);
    return this.state(mac);
  }

  /** The channel, when its voucher key signed this action for this router within the window; else a 403 that says why. */
  async #signedBy(a: SignedAction, action: SessionAction) {
    const chain = this.deps.config.chain;
    if (!chain || !this.deps.channels || !this.deps.routerKey) throw new HttpError(503, 'paying is not configured on this router');
    const c = await this.deps.channels.channel(a.channelId).catch(lookupFailed);
    if (!c) throw new HttpError(404, 'the chain knows no such channel (yet)');
    if (c.closed) throw new HttpError(409, 'the channel is closed');
    const why = actionProblem(chain, this.deps.routerKey, c.voucherKey, action, a, this.deps.clock());
    if (why) throw new HttpError(403, why);
    return c;
  }

  /** In the payment window, the OS probes are answered as online so the phone keeps the Wi-Fi while the wallet is open. */
  paying(mac: string): boolean {
    const p = this.#pending.get(mac);
    if (p && p.until <= this.deps.clock()) this.#pending.delete(mac);
    return !!p && p.until > this.deps.clock();
  }

  /** Online: a session that is charged (a zero-only one reaches the plan's zero-rated destinations, nothing else). */
  online(mac: string): boolean {
    const s = this.deps.sessions.openFor(mac);
    return s?.state === 'active' && !s.zeroOnly;
  }

  async voucher(mac: string, claim: VoucherClaim): Promise<{ ok: true; state: GuestState } | Refused> {
    const { checker, ledger } = this.deps;
    if (!checker || !ledger) throw new HttpError(503, 'paying is not configured on this router (chain, and portal.rpcUrl or the uplink)');
    const now = this.deps.clock();
    const open = this.deps.sessions.openFor(mac);
    const bound = open ? this.#channelOf(open.id) : null;
    // One device at a time: another device's session moves here only on a resume the channel's voucher key signed (a rotated MAC, a new phone).
    const starting = !open || open.state !== 'active' || open.zeroOnly;
    const others = starting ? this.deps.sessions.open().filter((s) => s.mac !== mac && this.#channelOf(s.id) === claim.channelId) : [];
    const resumed = this.#resumed.get(mac);
    if (others.length && !(resumed && resumed.channelId === claim.channelId && resumed.until > now)) {
      return { ok: false, reason: 'other-device', detail: 'the channel pays for a session on another device here: resume it (signed by its key) to move it' };
    }
    const r = await checker
      .check(claim, { sessionChannel: bound, sessionId: open?.id ?? null, meteredCost: ledger.cost(claim.channelId, now), now })
      .catch(lookupFailed);
    if (!r.ok) {
      this.deps.log.info({ guest: guestTag(mac), channel: String(claim.channelId), reason: r.reason }, 'voucher refused');
      return r;
    }
    if (starting) {
      // Priced, shaped and capped by the version the channel names on chain (the checker just read the channel; the source caches it).
      const c = await this.deps.channels?.channel(claim.channelId).catch(() => null);
      if (!c) throw new HttpError(503, 'cannot look the channel up now; try again');
      const terms = await this.#terms(c.owner, c.planId, c.planVersion);
      // Topped up from zero-only: that session ends here (its zero-rated bytes are in its records), a charged one starts.
      if (open?.zeroOnly) await this.deps.gatekeeper.deauth(mac, 'topped-up');
      for (const s of others) await this.deps.gatekeeper.deauth(s.mac, 'moved');
      const s = await this.deps.gatekeeper.auth(mac, sessionLimits(terms, planLabel(this.deps.config.plans, c.planId), now));
      ledger.link(s.id, claim.channelId);
      this.#pending.delete(mac);
      this.#resumed.delete(mac);
    }
    this.#lastChannel.set(mac, claim.channelId);
    this.deps.onVoucher?.();
    return { ok: true, state: this.state(mac) };
  }

  /** Ends sessions whose cost reached their newest voucher: the guest is held until the page signs the next. */
  async enforce(): Promise<void> {
    const { vouchers, ledger } = this.deps;
    if (!vouchers || !ledger) return;
    for (const s of this.deps.sessions.open()) {
      const ch = this.#channelOf(s.id);
      if (s.state !== 'active' || ch === null) continue;
      const paid = vouchers.newest(ch)?.amount ?? 0n;
      if (ledger.cost(ch, this.deps.clock()) >= paid) {
        this.deps.log.info({ guest: guestTag(s.mac), session: s.id, channel: String(ch) }, 'credit used up; guest held');
        await this.deps.gatekeeper.deauth(s.mac, 'credit');
        await this.#zeroOnly(s);
      }
    }
  }

  /**
   * A plan that keeps its zero-rated destinations without credit: the held
   * guest gets a session of those only, which costs nothing (no channel,
   * no price: usage/recorder.ts) and ends when the guest tops up or logs out.
   */
  async #zeroOnly(ended: { mac: string; plan: string | null; downBps: number | null; upBps: number | null }): Promise<void> {
    const plan = ended.plan === null ? undefined : this.deps.config.plans.find((p) => p.id === ended.plan);
    if (!plan?.zeroRatedWithoutCredit || !plan.zeroRated.length || !this.deps.gatekeeper.zeroRating) return;
    await this.deps.gatekeeper.auth(ended.mac, { endsAt: null, quotaBytes: null, plan: plan.id, downBps: ended.downBps, upBps: ended.upBps, zeroOnly: true });
    this.deps.log.info({ guest: guestTag(ended.mac), plan: plan.id }, "credit used up; the plan's zero-rated destinations stay reachable");
  }

  /**
   * Ends the session. The guest keeps the channel for next time (the
   * default), or has the rest refunded now: then the channel is closed so the
   * rest of the deposit goes back at once (where the gateway can). A session
   * a channel pays for ends only on an action its voucher key signed.
   */
  async logout(mac: string, a: (SignedAction & { refund: boolean }) | null): Promise<GuestState & { close: CloseReport | null; kept: boolean }> {
    // The session's channel, read before the session ends (after a restart the desk's own memory of it is empty).
    const open = this.deps.sessions.openFor(mac);
    const bound = open ? this.#channelOf(open.id) : null;
    const channel = bound ?? this.#lastChannel.get(mac) ?? null;
    if (channel !== null) {
      if (!a) throw new HttpError(403, "log out needs the channel's voucher key's signature (the page signs it)");
      if (a.channelId !== channel) throw new HttpError(403, `the session is paid by channel ${channel}, not ${a.channelId}`);
      await this.#signedBy(a, a.refund ? 'refund' : 'logout');
      this.#lastChannel.set(mac, channel);
    }
    await this.deps.gatekeeper.deauth(mac, 'logout');
    this.#pending.delete(mac);
    this.#resumed.delete(mac);
    const state = this.state(mac);
    this.#lastChannel.delete(mac);
    const refund = channel !== null && !!a?.refund;
    const close = refund && this.deps.close ? await this.deps.close(channel) : null;
    return { ...state, close, kept: channel !== null && !refund };
  }

  state(mac: string): GuestState {
    const now = this.deps.clock();
    const any = this.deps.sessions.openFor(mac);
    // A zero-only session is no session to the page: the guest is held (credit out) and sees the charged one's end.
    const open = any?.zeroOnly ? undefined : any;
    const channel = (open && this.#channelOf(open.id)) ?? this.#lastChannel.get(mac) ?? null;
    return buildState({
      now,
      open,
      channel,
      paying: this.paying(mac),
      pendingPlan: this.#pending.get(mac)?.label ?? null,
      last: open ?? (channel === null ? undefined : this.#lastSession(channel)),
      paid: channel === null ? 0n : (this.deps.vouchers?.newest(channel)?.amount ?? 0n),
      cost: channel === null ? 0n : (this.deps.ledger?.cost(channel, now) ?? 0n),
      creditWindow: this.deps.config.portal.creditWindow,
    });
  }

  #channelOf(sessionId: number): bigint | null {
    return this.deps.ledger?.channelOf(sessionId) ?? null;
  }

  #lastSession(ch: bigint) {
    const id = this.deps.ledger?.lastSession(ch);
    return id === undefined ? undefined : this.deps.sessions.get(id);
  }
}
