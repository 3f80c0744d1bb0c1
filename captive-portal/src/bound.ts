import type { PlanOffer } from '../../protocol/src/guest-api.js';

/**
 * The most the page signs (issue 16, "the page bounds its own spend"):
 * what the session had spent before it started, plus what the plan's
 * on-chain terms allow for the time since (price per minute × minutes, and
 * price per MB × what its rate caps let through in that time), plus one
 * credit window. A plan without rate caps has no byte bound from time alone:
 * then only its per-minute part and the deposit bound it.
 */
export function spendBound(plan: PlanOffer | null, spentBefore: bigint, seconds: number, creditWindow: bigint): bigint | null {
  if (!plan) return null;
  const s = BigInt(Math.max(0, Math.ceil(seconds)));
  const perMinute = (BigInt(plan.pricePerMinute) * s + 59n) / 60n;
  const perMB = BigInt(plan.pricePerMB);
  if (perMB > 0n && (plan.downKbps === 0 || plan.upKbps === 0)) return null;
  // kbit/s × s / 8 = kB; / 1000 = MB.
  const mb = (BigInt(plan.downKbps + plan.upKbps) * s + 7999n) / 8000n;
  return spentBefore + perMinute + perMB * mb + creditWindow;
}
