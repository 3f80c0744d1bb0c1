import { isIP } from 'node:net';
import { z } from 'zod';
import type { PlanTerms, ZeroRated } from '../../protocol/src/index.js';
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

export const planSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected a short id of lower-case letters, digits, - and _'),
    name: z.string().min(1).max(64),
    pricePerMb: gasAmountSchema.default(0),
    pricePerMinute: gasAmountSchema.default(0),
    down: rateSchema.optional(),
    up: rateSchema.optional(),
    quotaBytes: z.int().min(1_000).max(1e15).optional(),
    minutes: z.int().min(1).max(525_600).optional(),
    /** The owner's plan on chain this one is sold as (1..255); by default its place in the list, from 1. */
    chainPlan: z.int().min(1).max(255).optional(),
    /** Destinations whose traffic is free: host names (and their subdomains, as the router's resolver answers them) or CIDR prefixes. */
    zeroRated: z
      .array(z.string().trim().toLowerCase().refine(isZeroRatedEntry, 'expected a host name or an address prefix such as 192.0.2.0/24'))
      .max(32)
      .default([]),
    /** The zero-rated destinations stay reachable when the guest's credit is out (not only while it lasts). */
    zeroRatedWithoutCredit: z.boolean().default(false),
  })
  .strict();

export type Plan = z.infer<typeof planSchema>;

export const plansSchema = z
  .array(planSchema)
  .max(64)
  .default([])
  .refine((plans) => new Set(plans.map((p) => p.id)).size === plans.length, { message: 'plan ids must be unique' });

/** Until 2100: a published plan stays on offer until its owner publishes another version. */
export const OPEN_ENDED = 4_102_444_800_000n;

/**
 * A configured plan as the terms its owner publishes on chain (UCI plans are
 * a way to publish; the chain's terms are what a channel is sold under).
 */
export function planTerms(plan: Plan, validFrom = 0n, validUntil = OPEN_ENDED): PlanTerms {
  return {
    pricePerMB: BigInt(plan.pricePerMb),
    pricePerMinute: BigInt(plan.pricePerMinute),
    downKbps: plan.down ? Math.round(plan.down / 1000) : 0,
    upKbps: plan.up ? Math.round(plan.up / 1000) : 0,
    dataCapBytes: BigInt(plan.quotaBytes ?? 0),
    timeCapSeconds: (plan.minutes ?? 0) * 60,
    validFrom,
    validUntil,
    name: plan.name.slice(0, 32),
    zeroRated: plan.zeroRated.map(zeroRatedTerm),
    zeroRatedWithoutCredit: plan.zeroRatedWithoutCredit,
  };
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

function isZeroRatedEntry(e: string): boolean {
  const [addr = '', bits, extra] = e.split('/');
  const family = isIP(addr);
  if (!family) return bits === undefined && HOST.test(e);
  if (extra !== undefined) return false;
  const n = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  return /^\d{0,3}$/.test(bits ?? '') && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/** A zero-rated entry as the chain's plan terms carry it. */
export function zeroRatedTerm(e: string): ZeroRated {
  const [addr = '', bits] = e.split('/');
  const family = isIP(addr);
  if (!family) return { kind: 'host', host: e };
  const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  if (family === 4) return { kind: 'ipv4', address: Uint8Array.from(addr.split('.').map(Number)), prefix };
  return { kind: 'ipv6', address: ipv6Bytes(addr), prefix };
}

function ipv6Bytes(a: string): Uint8Array {
  const [head = '', tail] = a.split('::');
  const words = (s: string) => (s ? s.split(':') : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** The on-chain plan id a configured plan is sold as. */
export function chainPlanOf(plans: readonly Plan[], plan: Plan): number {
  return plan.chainPlan ?? plans.indexOf(plan) + 1;
}

/** What a session is priced by: the terms of the plan version its channel was opened under. */
export type Pricing = Pick<PlanTerms, 'pricePerMB' | 'pricePerMinute'>;

/** Cost in GAS fractions of what a session used so far under a plan's terms. */
export function costOf(terms: Pricing, bytes: number, seconds: number): number {
  return Math.ceil((Number(terms.pricePerMB) * bytes) / 1e6 + (Number(terms.pricePerMinute) * seconds) / 60);
}
