import { z } from 'zod';
import { ADDRESS_PATTERN, scriptHashOfAddress } from './address.js';
import { fromHex } from './bytes.js';
import { MAX_ZERO_RATED, type PlanTerms } from './plan.js';
import { gasToUnits, unitsToGas, zeroRatedFromText, zeroRatedToText } from './plan-text.js';
import { anyHex, publicKeyHex, scriptHash } from './wire/fields.js';

/**
 * The owner's first ten minutes, on the wire: the plans an owner writes (a
 * file for `qlink-gateway plans publish`, the router's UCI plans in its
 * registration link, the owner page's form), and the registration link the
 * router shows on its LAN side and in `qlink status`. The link is public:
 * the router's key, its plans, where its claim is made; the claim itself (a
 * signature over router, owner and time) names the owner, so nobody else can
 * send it (contract/README.md, registerRouter).
 */

/** Until 2100: a plan stays on offer until its owner publishes another version. */
export const PLAN_OPEN_ENDED = 4_102_444_800_000n;

/** GAS amounts as people write them: "0.0001" (at most 8 decimals), in token units. */
const gas = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const units = gasToUnits(String(v));
  if (units === null) {
    ctx.addIssue({ code: 'custom', message: `expected a GAS amount with at most 8 decimals such as "0.001", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return units;
});
const u32 = z.int().min(0).max(0xffff_ffff);
const ms = z.union([z.string().regex(/^\d{1,19}$/), z.int().min(0)]).transform((v) => BigInt(v));

/** One plan as an owner writes it; prices in GAS, rates in kbit/s, caps 0 = none. */
export const planSpecSchema = z
  .object({
    id: z.int().min(1).max(255).describe("the plan's id on chain (1–255)"),
    name: z.string().min(1).max(32),
    pricePerMB: gas.default(0n),
    pricePerMinute: gas.default(0n),
    downKbps: u32.default(0),
    upKbps: u32.default(0),
    dataCapBytes: ms.default(0n),
    timeCapSeconds: u32.default(0),
    /** ms since the epoch; default: from the epoch, open-ended. */
    validFrom: ms.default(0n),
    validUntil: ms.default(PLAN_OPEN_ENDED),
    zeroRated: z.array(z.string().min(1).max(253)).max(MAX_ZERO_RATED).default([]),
    zeroRatedWithoutCredit: z.boolean().default(false),
  })
  .strict();
export type PlanSpec = z.input<typeof planSpecSchema>;

/** A plan file: a list of plans, or `{ "plans": [...] }`. */
export const planFileSchema = z
  .union([
    z.array(planSpecSchema).min(1).max(255),
    z
      .object({ plans: z.array(planSpecSchema).min(1).max(255) })
      .strict()
      .transform((f) => f.plans),
  ])
  .refine((ps) => new Set(ps.map((p) => p.id)).size === ps.length, 'plan ids must be unique');

export interface PublishedPlan {
  planId: number;
  terms: PlanTerms;
}

/** Parsed plans as the contract takes them. */
export function planSpecsToTerms(specs: ReadonlyArray<z.output<typeof planSpecSchema>>): PublishedPlan[] {
  return specs.map((s) => ({
    planId: s.id,
    terms: {
      pricePerMB: s.pricePerMB,
      pricePerMinute: s.pricePerMinute,
      downKbps: s.downKbps,
      upKbps: s.upKbps,
      dataCapBytes: s.dataCapBytes,
      timeCapSeconds: s.timeCapSeconds,
      validFrom: s.validFrom,
      validUntil: s.validUntil,
      name: s.name,
      zeroRated: s.zeroRated.map(zeroRatedFromText),
      zeroRatedWithoutCredit: s.zeroRatedWithoutCredit,
    },
  }));
}

/** Terms back as a plan spec (what the link and the owner page's form carry); IPv6 prefixes are not written this way. */
export function termsToPlanSpec(planId: number, t: PlanTerms): z.input<typeof planSpecSchema> {
  return {
    id: planId,
    name: t.name,
    pricePerMB: unitsToGas(t.pricePerMB),
    pricePerMinute: unitsToGas(t.pricePerMinute),
    downKbps: t.downKbps,
    upKbps: t.upKbps,
    dataCapBytes: t.dataCapBytes.toString(),
    timeCapSeconds: t.timeCapSeconds,
    validFrom: t.validFrom.toString(),
    validUntil: t.validUntil.toString(),
    zeroRated: t.zeroRated.filter((z) => z.kind !== 'ipv6').map(zeroRatedToText),
    zeroRatedWithoutCredit: t.zeroRatedWithoutCredit,
  };
}

/** An owner named by address (N…) or script hash (0x…), as a 0x script hash. */
export const ownerParam = z
  .string()
  .refine((s) => scriptHash.safeParse(s).success || ADDRESS_PATTERN.test(s), 'a NEO N3 address or 0x script hash')
  .transform((s, ctx) => {
    if (s.startsWith('0x')) return s.toLowerCase();
    try {
      return scriptHashOfAddress(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a NEO N3 address (its checksum does not match)' });
      return z.NEVER;
    }
  });

/**
 * GET /register on the gateway: the registration link's query. Without a
 * claim (owner, until, sig) the page first asks the owner's wallet for its
 * account and sends the browser to the router's claim page (`lan`), which
 * comes back with them.
 */
export const registerQuery = z
  .object({
    router: publicKeyHex.transform((k) => k.toLowerCase()).describe("the router's public key"),
    plans: z.string().max(8_000).optional().describe('the plans the router offers to publish: JSON, a list of plan specs'),
    lan: z
      .string()
      .max(300)
      .regex(/^http:\/\/[^\s?#]+$/, 'an http:// URL on the owner LAN')
      .optional()
      .describe("the router's claim page on the owner's LAN"),
    owner: ownerParam.optional().describe('the account the claim is for'),
    until: z
      .string()
      .regex(/^\d{1,16}$/)
      .optional()
      .describe('the claim is valid until this time (ms)'),
    sig: anyHex(64)
      .transform((s) => s.toLowerCase())
      .optional()
      .describe("the router's claim signature"),
  })
  .strict()
  .refine((q) => (q.owner === undefined) === (q.until === undefined) && (q.until === undefined) === (q.sig === undefined), 'owner, until and sig go together');
export type RegisterQuery = z.output<typeof registerQuery>;

/** GET /register/status: a router's record on chain and its owner's current plans, for the page to follow the registration. */
export const registerStatusQuery = z.object({ router: publicKeyHex.transform((k) => k.toLowerCase()) }).strict();
export const registerStatusReply = z
  .object({
    router: publicKeyHex,
    registered: z.boolean(),
    active: z.boolean(),
    owner: scriptHash.nullable(),
    plans: z.array(z.object({ id: z.int(), version: z.int(), name: z.string(), pricePerMB: z.string(), pricePerMinute: z.string() })),
  })
  .strict();

/** Parses the plans a link carries; a link's plans that do not parse are dropped (the owner fills the form). */
export function linkPlans(text: string | undefined): Array<z.output<typeof planSpecSchema>> {
  if (!text) return [];
  try {
    const p = planFileSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : [];
  } catch {
    return [];
  }
}

export interface RegistrationLink {
  gatewayUrl: string;
  router: string;
  plans: readonly PlanSpec[];
  /** The router's claim page on the owner's LAN. */
  lan?: string;
  claim?: { owner: string; until: bigint | number; sig: Uint8Array | string };
}

/** The link to the gateway's registration page. */
export function registrationUrl(l: RegistrationLink): string {
  const q: Array<[string, string]> = [['router', l.router.toLowerCase()]];
  if (l.plans.length) q.push(['plans', JSON.stringify(l.plans)]);
  if (l.lan) q.push(['lan', l.lan]);
  if (l.claim) {
    q.push(['owner', l.claim.owner.toLowerCase()], ['until', String(l.claim.until)]);
    q.push(['sig', typeof l.claim.sig === 'string' ? l.claim.sig : [...l.claim.sig].map((b) => b.toString(16).padStart(2, '0')).join('')]);
  }
  return `${l.gatewayUrl.replace(/\/+$/, '')}/register?${q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

/** The claim bytes a link carries, checked for length. */
export const claimSignature = (hex: string): Uint8Array => fromHex(hex, 64, 'claim signature');
