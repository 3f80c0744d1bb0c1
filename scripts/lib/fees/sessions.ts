import { total, type TxFee } from './block-fees.js';

/**
 * What one guest session costs on chain, all in, from fees read off the
 * blocks (block-fees.ts). A session's channel is opened by the guest (or by a
 * sponsor as first signer, the guest second), its vouchers are redeemed by
 * the gateway in the settlement round's redeemBatch (its share: the batch's
 * fee over its channels) or closed by the gateway's closer at log out (close
 * pays the final voucher and returns the rest at once), or refunded by the
 * guest after expiry; and the gateway anchors one root a round over every
 * batch, so a session's share of the anchors is rounds a day × one anchor
 * over the sessions of a day.
 */
export interface Measured {
  open: TxFee;
  openSponsored: TxFee;
  /** A close that is the channel's first redeem (a one-off session), and one after redeems (the 10th session of a channel). */
  closeFirst: TxFee;
  closeAfterRedeem: TxFee;
  /** A redeemBatch of `channels` channels that redeemed before. */
  redeemBatch: TxFee;
  channels: number;
  /** A later anchorRound (its head rewritten, not created). */
  anchor: TxFee;
  refund: TxFee;
}

export interface Load {
  sessionsPerDay: number;
  roundsPerDay: number;
}

/** GAS (as a float, 10^-8 exact enough at these sizes) of each part and each payer. */
export interface Split {
  open: number;
  redeem: number;
  closeOrRefund: number;
  anchor: number;
  guest: number;
  sponsor: number;
  gateway: number;
  total: number;
}

const gas = (f: TxFee) => Number(total(f)) / 1e8;

function split(p: Omit<Split, 'total' | 'guest' | 'sponsor' | 'gateway'>, who: { open: 'guest' | 'sponsor'; end: 'gateway' | 'guest' }): Split {
  const s: Split = { ...p, guest: 0, sponsor: 0, gateway: p.redeem + p.anchor, total: p.open + p.redeem + p.closeOrRefund + p.anchor };
  s[who.open] += p.open;
  s[who.end] += p.closeOrRefund;
  return s;
}

export function sessionCosts(m: Measured, l: Load) {
  const anchor = (gas(m.anchor) * l.roundsPerDay) / l.sessionsPerDay;
  const redeem = gas(m.redeemBatch) / m.channels;
  return {
    /** Opens, uses one session, logs out: the gateway closes. */
    oneOff: split({ open: gas(m.open), redeem: 0, closeOrRefund: gas(m.closeFirst), anchor }, { open: 'guest', end: 'gateway' }),
    oneOffSponsored: split({ open: gas(m.openSponsored), redeem: 0, closeOrRefund: gas(m.closeFirst), anchor }, { open: 'sponsor', end: 'gateway' }),
    /** Walks away: its voucher redeemed in a round's batch, its rest refunded by the guest after expiry. */
    walkedAway: split({ open: gas(m.open), redeem, closeOrRefund: gas(m.refund), anchor }, { open: 'guest', end: 'guest' }),
    /** One channel, ten sessions: redeemed after each of the first nine, closed at the tenth's log out; per session. */
    reused10: split(
      { open: gas(m.open) / 10, redeem: (redeem * 9) / 10, closeOrRefund: gas(m.closeAfterRedeem) / 10, anchor },
      { open: 'guest', end: 'gateway' },
    ),
    /** The same channel, its vouchers redeemed only by the close at the tenth session (not what the settler does today: it redeems every round). */
    reused10CloseOnly: split({ open: gas(m.open) / 10, redeem: 0, closeOrRefund: gas(m.closeFirst) / 10, anchor }, { open: 'guest', end: 'gateway' }),
    anchorPerSession: anchor,
    anchorsPerDay: gas(m.anchor) * l.roundsPerDay,
  };
}

export type SessionCosts = ReturnType<typeof sessionCosts>;

/** The bench's JSON: exactly these keys per profile, amounts in GAS. */
export function profileJson(c: SessionCosts) {
  return {
    oneOffSession: round8(c.oneOff.total),
    allInPerSessionReused10: round8(c.reused10.total),
    anchorPerSession: round8(c.anchorPerSession),
    guestFee: round8(c.oneOff.guest),
    guestFeeSponsored: round8(c.oneOffSponsored.guest),
  };
}

export const round8 = (x: number) => Math.round(x * 1e8) / 1e8;
