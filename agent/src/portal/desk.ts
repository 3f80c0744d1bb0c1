import type { AgentConfig } from '../config.js';
import type { Gatekeeper } from '../gatekeeper.js';
import type { Logger } from '../log.js';
import type { Plan } from '../plans.js';
import type { SessionStore } from '../store/sessions.js';
import type { ChannelSource } from '../vouchers/channel-source.js';
import type { VoucherChecker, VoucherClaim, Refusal } from '../vouchers/check.js';
import type { ChannelLedger } from '../vouchers/ledger.js';
import type { VoucherStore } from '../vouchers/store.js';
import type { CloseReport } from './closing.js';
import { buildState, type GuestState } from './guest-state.js';
import { HttpError } from './http.js';

export type { GuestState };

export type Refused = { ok: false; reason: Refusal; detail: string; minimum?: bigint };

interface Pending { plan: Plan; voucherKey: string; until: number }

/**
 * The guest side of paying: a pending payment per MAC (its plan and voucher
 * key, and the window in which the OS probes are told "online"), vouchers
 * that open or extend a session, the hold at zero credit, and log out.
 */
export class PaymentDesk {
  readonly #pending = new Map<string, Pending>();
  /** The channel a guest last paid with, so a held guest's top up finds it again. */
  readonly #lastChannel = new Map<string, bigint>();

  constructor(private readonly deps: {
    config: AgentConfig; gatekeeper: Gatekeeper; sessions: SessionStore; log: Logger; clock: () => number;
    checker?: VoucherChecker; vouchers?: VoucherStore; ledger?: ChannelLedger; channels?: ChannelSource;
    /** Hears each voucher taken (the gateway push). */
    onVoucher?: () => void;
    /** Closes a channel cooperatively at log out, or says when its refund opens. */
    close?: (channelId: bigint) => Promise<CloseReport>;
  }) {}

  /** Vouchers can be checked here: a deployment and a way to read channels are configured. */
  get canPay(): boolean {
    return !!this.deps.checker && !!this.deps.ledger;
  }

  /** state() with the channel's current deposit, so the page knows how far it may sign after a top up. */
  async stateWithDeposit(mac: string): Promise<GuestState> {
    const s = this.state(mac);
    if (s.channelId === null || !this.deps.channels) return s;
    const c = await this.deps.channels.channel(BigInt(s.channelId)).catch(() => null);
    return { ...s, deposit: c ? c.deposit.toString() : null };
  }

  start(mac: string, planId: string, voucherKey: string): Pending {
    const plan = this.deps.config.plans.find((p) => p.id === planId);
    if (!plan) throw new HttpError(404, `no plan ${planId}`);
    const p = { plan, voucherKey, until: this.deps.clock() + this.deps.config.portal.paymentWindowSeconds * 1000 };
    this.#pending.set(mac, p);
    return p;
  }

  /** In the payment window, the OS probes are answered as online so the phone keeps the Wi-Fi while the wallet is open. */
  paying(mac: string): boolean {
    const p = this.#pending.get(mac);
    if (p && p.until <= this.deps.clock()) this.#pending.delete(mac);
    return !!p && p.until > this.deps.clock();
  }

  online(mac: string): boolean {
    return this.deps.sessions.openFor(mac)?.state === 'active';
  }

  async voucher(mac: string, claim: VoucherClaim): Promise<{ ok: true; state: GuestState } | Refused> {
    const { checker, ledger } = this.deps;
    if (!checker || !ledger) throw new HttpError(503, 'paying is not configured on this router (chain, and portal.rpcUrl or the uplink)');
    const now = this.deps.clock();
    const open = this.deps.sessions.openFor(mac);
    const bound = open ? this.#channelOf(open.id) : null;
    const r = await checker.check(claim, { sessionChannel: bound, sessionId: open?.id ?? null, meteredCost: ledger.cost(claim.channelId, now), now })
      .catch((e: Error) => { throw new HttpError(503, `cannot look the channel up now (${e.message.slice(0, 200)}); try again`); });
    if (!r.ok) {
      this.deps.log.info({ mac, channel: String(claim.channelId), reason: r.reason }, 'voucher refused');
      return r;
    }
    if (!open || open.state !== 'active') {
      const plan = this.#pending.get(mac)?.plan ?? this.#planOfChannel(claim.channelId);
      if (!plan) throw new HttpError(409, 'pick a plan first');
      // Whoever holds the channel's voucher key may use it, from one device at a time: a rotated MAC takes the session over.
      for (const s of this.deps.sessions.open()) {
        if (s.mac !== mac && this.#channelOf(s.id) === claim.channelId) await this.deps.gatekeeper.deauth(s.mac, 'moved');
      }
      const s = await this.deps.gatekeeper.auth(mac, {
        endsAt: plan.minutes ? now + plan.minutes * 60_000 : null, quotaBytes: plan.quotaBytes ?? null,
        plan: plan.id, downBps: plan.down ?? null, upBps: plan.up ?? null,
      });
      ledger.link(s.id, claim.channelId);
      this.#pending.delete(mac);
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
        this.deps.log.info({ mac: s.mac, session: s.id, channel: String(ch) }, 'credit used up; guest held');
        await this.deps.gatekeeper.deauth(s.mac, 'credit');
      }
    }
  }

  /** Ends the session, then closes its channel so the rest of the deposit goes back at once (where the gateway can). */
  async logout(mac: string): Promise<GuestState & { close: CloseReport | null }> {
    // The session's channel, read before the session ends (after a restart the desk's own memory of it is empty).
    const open = this.deps.sessions.openFor(mac);
    const bound = open ? this.#channelOf(open.id) : null;
    if (bound !== null) this.#lastChannel.set(mac, bound);
    await this.deps.gatekeeper.deauth(mac, 'logout');
    this.#pending.delete(mac);
    const state = this.state(mac);
    this.#lastChannel.delete(mac);
    const close = state.channelId !== null && this.deps.close ? await this.deps.close(BigInt(state.channelId)) : null;
    return { ...state, close };
  }

  state(mac: string): GuestState {
    const now = this.deps.clock();
    const open = this.deps.sessions.openFor(mac);
    const channel = (open && this.#channelOf(open.id)) ?? this.#lastChannel.get(mac) ?? null;
    return buildState({
      now, open, channel, paying: this.paying(mac), pendingPlan: this.#pending.get(mac)?.plan.id ?? null,
      last: open ?? (channel === null ? undefined : this.#lastSession(channel)),
      paid: channel === null ? 0n : this.deps.vouchers?.newest(channel)?.amount ?? 0n,
      cost: channel === null ? 0n : this.deps.ledger?.cost(channel, now) ?? 0n,
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

  #planOfChannel(ch: bigint): Plan | undefined {
    const s = this.#lastSession(ch);
    return s?.plan ? this.deps.config.plans.find((p) => p.id === s.plan) : undefined;
  }
}
