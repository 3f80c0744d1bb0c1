import { z } from 'zod';
import { rateSchema } from './shaper/rate.js';

/** GAS has 8 decimals; prices are kept as integer fractions so sums are exact. */
export const GAS_DECIMALS = 8;

export const gasAmountSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v).trim();
  const m = /^(\d{1,10})(?:\.(\d{1,8}))?$/.exec(text);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a GAS amount with at most 8 decimals such as "0.001", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return Number(m[1]) * 10 ** GAS_DECIMALS + Number((m[2] ?? '').padEnd(GAS_DECIMALS, '0'));
});

export const planSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected a short id of lower-case letters, digits, - and _'),
  name: z.string().min(1).max(64),
  pricePerMb: gasAmountSchema.default(0),
  pricePerMinute: gasAmountSchema.default(0),
  down: rateSchema.optional(),
  up: rateSchema.optional(),
  quotaBytes: z.int().min(1_000).max(1e15).optional(),
  minutes: z.int().min(1).max(525_600).optional(),
}).strict();

export type Plan = z.infer<typeof planSchema>;

export const plansSchema = z.array(planSchema).max(64).default([]).refine(
  (plans) => new Set(plans.map((p) => p.id)).size === plans.length,
  { message: 'plan ids must be unique' },
);

/** Cost in GAS fractions of what a session used so far under a plan. */
export function costOf(plan: Plan, bytes: number, seconds: number): number {
  return Math.ceil((plan.pricePerMb * bytes) / 1e6 + (plan.pricePerMinute * seconds) / 60);
}
