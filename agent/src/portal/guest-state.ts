import type { GuestState } from '../../../protocol/src/index.js';
import type { Session } from '../store/sessions.js';

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
    paid: i.paid.toString(),
    cost: i.cost.toString(),
    credit: (i.paid > i.cost ? i.paid - i.cost : 0n).toString(),
    creditWindow: String(i.creditWindow),
    secondsLeft: live?.endsAt ? Math.max(0, Math.round((live.endsAt - i.now) / 1000)) : null,
    bytesLeft: live?.quotaBytes ? Math.max(0, live.quotaBytes - used) : null,
    bytesUsed: used,
    zeroBytesUsed: i.last ? i.last.zeroDown + i.last.zeroUp : 0,
    // A session being ended (between the gate's revoke and the store's close) already carries its reason.
    endReason: live ? null : (i.last?.endReason ?? null),
    deposit: null,
    time: i.now,
    startedAt: live ? live.startedAt : null,
  };
}
