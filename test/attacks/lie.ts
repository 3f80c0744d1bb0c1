/** What test/attacks/lying-router.ts lies by, for it and its test. */
export const LIE = {
  /** Reported cost: metered × costTimes + costPlus (units of GAS/10^8). */
  costTimes: 10n,
  costPlus: 2_000_000n,
  /** Reported session start: this much earlier than the real one. */
  startedEarlierMs: 3_600_000,
  /** The first voucher of each guest is refused once with this minimum (half a 0.5 GAS deposit). */
  firstMinimum: 25_000_000n,
};
