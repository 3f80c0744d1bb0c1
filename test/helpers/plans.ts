import type { PlanTerms } from '../../protocol/src/index.js';

/** A plan the tests publish: on offer from the epoch to 2100, priced per MB and per minute. */
export function testPlan(over: Partial<PlanTerms> = {}): PlanTerms {
  return {
    pricePerMB: 1000n,
    pricePerMinute: 50n,
    downKbps: 0,
    upKbps: 0,
    dataCapBytes: 0n,
    timeCapSeconds: 0,
    validFrom: 0n,
    validUntil: 4_102_444_800_000n,
    name: 'Test',
    zeroRated: [],
    zeroRatedWithoutCredit: false,
    ...over,
  };
}

/** Plan 1 of the owner, version 1: what a freshly registered test router sells. */
export const TEST_PLANS = [{ planId: 1, terms: testPlan() }];
export const PLAN_1 = { planId: 1, planVersion: 1 } as const;
