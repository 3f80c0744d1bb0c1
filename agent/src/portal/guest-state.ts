import type { Session } from '../store/sessions.js';

/** What the page and the RFC 8908 API are told about one guest. */
export interface GuestState {
  online: boolean;
  paying: boolean;
  plan: string | null;
  channelId: string | null;
  /** Everything as decimal strings of the token's smallest unit (GAS: 10^-8). */
  paid: string;
  cost: string;
  credit: string;
  creditWindow: string;
  secondsLeft: number | null;
  bytesLeft: number | null;
  bytesUsed: number;
  endReason: string | null;
  /** The channel's deposit as the chain has it now (it grows with a top up); null without a channel. */
  deposit: string | null;
}

export interface StateInput {
  now: number;
  /** The guest's open session (active, or being ended). */
  open: Session | undefined;
  /** The open session, else the newest one its channel paid for. */
  last: Session | undefined;
  channel: bigint | null;
  paid: bigint;
  cost: bigint;
  paying: boolean;
  pendingPlan: string | null;
  creditWindow: number;
}

export function buildState(i: StateInput): GuestState {
  const live = i.open?.state === 'active' ? i.open : undefined;
  const used = i.last ? i.last.bytesDown + i.last.bytesUp : 0;
  return {
    online: !!live,
    paying: i.paying,
    plan: i.last?.plan ?? i.pendingPlan,
    channelId: i.channel === null ? null : i.channel.toString(),
    paid: i.paid.toString(), cost: i.cost.toString(), credit: (i.paid > i.cost ? i.paid - i.cost : 0n).toString(),
    creditWindow: String(i.creditWindow),
    secondsLeft: live?.endsAt ? Math.max(0, Math.round((live.endsAt - i.now) / 1000)) : null,
    bytesLeft: live?.quotaBytes ? Math.max(0, live.quotaBytes - used) : null,
    bytesUsed: used,
    // A session being ended (between the gate's revoke and the store's close) already carries its reason.
    endReason: live ? null : i.last?.endReason ?? null,
    deposit: null,
  };
}
