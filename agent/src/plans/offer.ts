import type { PlanTerms } from '../../../protocol/src/index.js';
import { chainPlanOf, planTerms, type Plan } from '../plans.js';
import type { SessionLimits } from '../store/sessions.js';
import type { PlanVersion } from './store.js';

/**
 * The name the page and /api/pay use for one of the owner's plans on chain:
 * the UCI plan sold as it, if there is one (so links and scripts keep
 * working), else `plan-<id>`.
 */
export function planLabel(uci: readonly Plan[], planId: number): string {
  return uci.find((p) => chainPlanOf(uci, p) === planId)?.id ?? `plan-${planId}`;
}

/** The on-chain plan id a label names (a UCI plan's id, `plan-<id>`), or undefined. */
export function planIdOfLabel(uci: readonly Plan[], label: string): number | undefined {
  const p = uci.find((x) => x.id === label);
  if (p) return chainPlanOf(uci, p);
  const m = /^plan-(\d{1,3})$/.exec(label);
  const id = m ? Number(m[1]) : NaN;
  return id >= 1 && id <= 255 ? id : undefined;
}

export const onOffer = (t: PlanTerms, now: number): boolean => t.validFrom <= BigInt(now) && BigInt(now) < t.validUntil;

/** A session's limits and queue rates from the terms its channel was opened under. */
export function sessionLimits(v: PlanVersion, label: string, now: number): SessionLimits {
  const t = v.terms;
  return {
    endsAt: t.timeCapSeconds ? now + t.timeCapSeconds * 1000 : null,
    quotaBytes: t.dataCapBytes > 0n ? Number(t.dataCapBytes) : null,
    plan: label,
    downBps: t.downKbps ? t.downKbps * 1000 : null,
    upBps: t.upKbps ? t.upKbps * 1000 : null,
    planRef: { owner: v.owner, planId: v.planId, version: v.version },
  };
}

/** What the page lists for a plan on chain (the shape of pages.ts planView). */
export function chainPlanView(v: PlanVersion, label: string) {
  const t = v.terms;
  return {
    id: label,
    name: t.name,
    pricePerMb: Number(t.pricePerMB),
    pricePerMinute: Number(t.pricePerMinute),
    minutes: t.timeCapSeconds ? Math.round(t.timeCapSeconds / 60) : null,
    quotaBytes: t.dataCapBytes > 0n ? Number(t.dataCapBytes) : null,
    down: t.downKbps ? t.downKbps * 1000 : null,
    up: t.upKbps ? t.upKbps * 1000 : null,
    chainId: v.planId,
    version: v.version,
  };
}

export interface PlanDrift {
  plan: string;
  chainPlan: number;
  /** The chain's current version; null when the owner has not published that plan id. */
  chainVersion: number | null;
  /** The fields whose UCI value is not the chain's (the chain's are what guests pay). */
  differs: string[];
}

const FIELDS = ['pricePerMB', 'pricePerMinute', 'downKbps', 'upKbps', 'dataCapBytes', 'timeCapSeconds'] as const;

/** UCI plans whose terms are not what the chain's current version says: reported, never charged by. */
export function planDrift(uci: readonly Plan[], chain: readonly PlanVersion[]): PlanDrift[] {
  const out: PlanDrift[] = [];
  for (const p of uci) {
    const chainPlan = chainPlanOf(uci, p);
    const onChain = chain.find((c) => c.planId === chainPlan);
    const mine = planTerms(p);
    const differs = onChain ? FIELDS.filter((k) => mine[k] !== onChain.terms[k]) : ['unpublished'];
    if (differs.length) out.push({ plan: p.id, chainPlan, chainVersion: onChain?.version ?? null, differs: [...differs] });
  }
  return out;
}
