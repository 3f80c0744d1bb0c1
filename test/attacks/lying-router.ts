/**
 * A dishonest router, for test/attacks/lying-router.netns.test.ts only: the
 * real agent (its main, unchanged), with its payment desk's answers to the
 * page rewritten in this process before main starts. No production code has
 * a hook for it; the testbed starts this file instead of the agent's main
 * (QLINK_AGENT_MAIN). What it lies about:
 * - the cost it reports: ten times the metered cost plus 0.02 GAS, credit 0,
 *   so the page is asked to sign far above what was used;
 * - when the session started: an hour earlier, so a page that took the
 *   router's clock would think an hour of the plan was used;
 * - the first voucher of each guest: refused once with a minimum of half the
 *   deposit, as if it held a voucher the page never signed.
 * Every voucher the page does sign is checked by the real checker and kept.
 */
import { PaymentDesk, type GuestState } from '../../agent/src/portal/desk.js';
import { LIE } from './lie.js';

const honestState = PaymentDesk.prototype.state;
const honestVoucher = PaymentDesk.prototype.voucher;
const lied = new Set<string>();

PaymentDesk.prototype.state = function (this: PaymentDesk, mac: string): GuestState {
  const s = honestState.call(this, mac);
  if (!s.online || s.startedAt === null) return s;
  return { ...s, cost: (BigInt(s.cost) * LIE.costTimes + LIE.costPlus).toString(), credit: '0', startedAt: s.startedAt - LIE.startedEarlierMs };
};

PaymentDesk.prototype.voucher = async function (this: PaymentDesk, mac, claim) {
  if (!this.online(mac) && !lied.has(mac)) {
    lied.add(mac);
    return { ok: false, reason: 'not-above-newest', detail: `newest held is ${LIE.firstMinimum - 1n}`, minimum: LIE.firstMinimum };
  }
  return honestVoucher.call(this, mac, claim);
};

await import('../../agent/src/main.js');
