import { planTerms, type Plan, type Pricing } from '../plans.js';
import type { PlanStore } from './store.js';

/** The columns of a session row that say what it is priced by. */
export interface PricedRow {
  plan: string | null;
  plan_owner: string | null;
  plan_id: number | null;
  plan_version: number | null;
}
export type PricingOf = (r: PricedRow) => Pricing | undefined;

/**
 * A session opened by a channel is priced by the plan version the channel
 * names, whose terms the desk stored before the session started. Only a
 * session without one (the admin's `qlink auth --plan`, which no channel pays
 * for, and sessions from before plans were on chain) is priced by the UCI
 * plan it names.
 */
export function sessionPricing(store: PlanStore, uci: () => readonly Plan[]): PricingOf {
  return (r) => {
    if (r.plan_owner !== null && r.plan_id !== null && r.plan_version !== null) return store.get(r.plan_owner, r.plan_id, r.plan_version)?.terms;
    const p = r.plan === null ? undefined : uci().find((x) => x.id === r.plan);
    return p && planTerms(p);
  };
}
