import { fromHex, sessionActionMessage, type Deployment, type SessionAction } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';

/** How far a session action's time may be from the router's clock, either way: the page signs the time /api/state told it. */
export const ACTION_WINDOW_MS = 60_000;

export interface SignedAction {
  channelId: bigint;
  time: number;
  signature: string;
}

/**
 * Why a session action (resume, log out, refund now) is refused, or null
 * when the channel's voucher key signed it for this router, within the
 * window: issue 16's "an action that moves or ends a session carries the
 * voucher key's signature", so a guest who only shares an address or a MAC
 * cannot log another out or take their session.
 */
export function actionProblem(d: Deployment, routerKey: string, voucherKey: string, action: SessionAction, a: SignedAction, now: number): string | null {
  if (Math.abs(a.time - now) > ACTION_WINDOW_MS)
    return `the signed time is ${Math.round((a.time - now) / 1000)} s from the router's clock (at most ${ACTION_WINDOW_MS / 1000} s)`;
  const message = sessionActionMessage(d, a.channelId, routerKey, action, a.time);
  return verifyP256(message, fromHex(a.signature, 64), voucherKey) ? null : `not signed by the channel's voucher key for ${action} at this router`;
}
