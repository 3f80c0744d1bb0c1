import { z } from 'zod';
import { ADDRESS_PATTERN, scriptHashOfAddress } from '../address.js';
import { enrollBodySchema } from '../wire/enroll.js';
import { proofSchema } from '../wire/proof.js';
import { publicKeyHex, scriptHash, txid, uint } from '../wire/fields.js';

/**
 * The gateway's HTTP API as it is on the wire: each endpoint's query, body
 * and answer. The gateway parses requests with these, its handlers are typed
 * by them, and the OpenAPI document it serves (/openapi.json, openapi.ts) is
 * written from them, so what it says is what the server does.
 */

/** A NEO N3 address whose checksum holds (a typo is refused here, not found nowhere later). */
export const addressParam = z
  .string()
  .regex(ADDRESS_PATTERN, 'a NEO N3 address (N…, 34 characters)')
  .refine((a) => {
    try {
      scriptHashOfAddress(a);
      return true;
    } catch {
      return false;
    }
  }, 'not a NEO N3 address (its checksum does not match)');

// Query parameters are strings on the wire; these check them and turn them into numbers.
const ms = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Unix time, ms');
const limit = z.coerce.number().int().min(1).max(10_000).default(100).describe('at most this many (1–10,000)');

export const emptyQuery = z.object({}).strict();
export const rangeQuery = z.object({ router: addressParam.optional(), from: ms.optional(), to: ms.optional(), limit }).strict();
export const txQuery = z.object({ status: z.enum(['pending', 'confirmed', 'faulted', 'expired']).optional(), limit }).strict();
export const anomalyQuery = z.object({ status: z.enum(['held', 'reported', 'resolved']).optional(), router: addressParam.optional(), limit }).strict();
export const ownerPageQuery = z
  .object({
    owner: addressParam.optional().describe("the operator's view of one owner"),
    days: z.coerce.number().int().min(1).max(90).default(30).describe('days of history (1–90)'),
  })
  .strict();
export const challengeQuery = z.object({ owner: addressParam }).strict();
export const ownerParams = z.object({ owner: addressParam.describe("the owner's address") }).strict();
export const proofQuery = z
  .object({ router: addressParam, seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe("the batch's sequence number") })
  .strict();
export const anomalyParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe("the anomaly's id") }).strict();

/** POST /login: what the owner's wallet returned from signMessage over the challenge. */
export const loginBodySchema = z
  .object({
    owner: z.string().regex(ADDRESS_PATTERN, 'a NEO N3 address'),
    challenge: z.string().min(20).max(400),
    /** What the wallet's signMessage returned: its public key, the salt it chose ('' without), the signature. */
    publicKey: z.string().regex(/^0[23][0-9a-fA-F]{64}$/),
    salt: z.string().max(64).default(''),
    signature: z.string().regex(/^[0-9a-fA-F]{128}$/),
  })
  .strict();
/** POST /login/token: the log-in page's form (application/x-www-form-urlencoded). */
export const loginTokenBody = z.object({ token: z.string().max(200) }).strict();
export { enrollBodySchema };

// Answers. Strict: a field the server adds without saying so here fails the tests' audit.
const nullable = <T extends z.ZodType>(s: T) => s.nullable();
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .describe('a UTC day, YYYY-MM-DD');
const amount = z.int().min(0).max(Number.MAX_SAFE_INTEGER).describe('GAS in fractions (10^-8)');
/** Bytes to and from the plans' zero-rated destinations: apart from bytesDown/bytesUp, never in cost. */
const zeroBytes = uint.describe("bytes to and from the plan's zero-rated destinations, apart from the charged bytes and never in cost");
export const txKind = z.enum(['redeem', 'anchor', 'relay']);
export const txStatus = z.enum(['pending', 'confirmed', 'faulted', 'expired']);
export const anomalyKind = z.enum(['gap', 'fork', 'bad-batch', 'unknown-router', 'wrong-deployment', 'malformed', 'oversized', 'bad-voucher']);

export const errorReply = z.object({ error: z.string().describe('what was wrong, for a person') }).strict();
export const okReply = z.object({ ok: z.literal(true) }).strict();
export const totalsReply = z.object({ batches: uint, records: uint, anomalies: uint, pendingTxs: uint }).strict();
export const healthReply = z.object({ ok: z.literal(true), totals: totalsReply.optional().describe("the operator's only") }).strict();

export const routerEntry = z
  .object({
    address: z.string().describe("the router key's address: its <router-id> on MQTT"),
    publicKey: publicKeyHex.optional(),
    owner: scriptHash.optional().describe("the owner's script hash; absent for a router that reports status but is not registered"),
    active: z.boolean().optional(),
    checkedAt: uint.optional().describe('when the registration was last read from the chain'),
    online: z.boolean(),
    statusAt: nullable(uint).describe('when its status last arrived'),
    status: nullable(z.record(z.string(), z.unknown())).describe('its retained status as it sent it (docs/protocol/status.schema.json)'),
  })
  .strict();
export const routersReply = z.object({ routers: z.array(routerEntry) }).strict();

export const sessionUsage = z
  .object({
    router: z.string(),
    sessionId: uint,
    channelId: nullable(uint),
    startMs: uint,
    endMs: uint,
    bytesDown: uint,
    bytesUp: uint,
    zeroDown: zeroBytes,
    zeroUp: zeroBytes,
    seconds: uint,
    cost: amount,
    voucherAmount: amount,
  })
  .strict();
export const sessionsReply = z.object({ sessions: z.array(sessionUsage) }).strict();

export const dayUsage = z
  .object({
    day,
    router: z.string(),
    sessions: uint,
    records: uint,
    bytesDown: uint,
    bytesUp: uint,
    zeroDown: zeroBytes,
    zeroUp: zeroBytes,
    seconds: uint,
    cost: amount,
  })
  .strict();
export const usageDailyReply = z.object({ days: z.array(dayUsage), today: day }).strict();

export const ownerEarnings = z
  .object({
    owner: scriptHash,
    routers: uint,
    metered: amount.describe("what the owner's routers metered"),
    settled: amount.describe("the newest confirmed redeemed voucher of each of the owner's channels, summed"),
  })
  .strict();
export const earningsReply = z.object({ owners: z.array(ownerEarnings) }).strict();

export const chainTx = z
  .object({
    txid,
    kind: txKind,
    status: txStatus,
    validUntilBlock: uint,
    items: uint.describe('channels it redeems or closes'),
    round: nullable(uint).describe('the settlement round whose anchorRound it carries, if any'),
    createdAt: uint,
    settledAt: nullable(uint),
    vmstate: nullable(z.string()),
    detail: nullable(z.string()),
    gasFee: nullable(amount),
  })
  .strict();
export const transactionsReply = z.object({ transactions: z.array(chainTx) }).strict();

export const anomalyEntry = z
  .object({
    id: uint,
    router: z.string(),
    kind: anomalyKind,
    seq: uint,
    hash: z.string(),
    detail: z.string(),
    status: z.enum(['held', 'reported', 'resolved']),
    count: uint,
    firstAt: uint,
    lastAt: uint,
    held: z.boolean().describe('the gateway keeps the batch to store once the gap before it fills'),
  })
  .strict();
export const anomaliesReply = z.object({ anomalies: z.array(anomalyEntry) }).strict();

export const enrollReply = z
  .object({
    cert: z.string().describe("PEM: the router's client certificate, CN = its address"),
    ca: z.string().describe('PEM: the fleet CA the router already pins'),
  })
  .strict();
export const challengeReply = z.object({ challenge: z.string().describe("the text the owner's wallet signs (signMessage)"), expires: uint }).strict();
export const loginReply = z
  .object({
    owner: z.string(),
    token: z.string().describe('the session: send as `Authorization: Bearer` (or the cookie set with it)'),
    expires: uint,
  })
  .strict();
const bigDecimal = z.string().regex(/^\d{1,20}$/);
export const zeroRatedEntry = z.union([
  z.object({ kind: z.literal('host'), host: z.string() }).strict(),
  z.object({ kind: z.enum(['ipv4', 'ipv6']), address: z.string().describe('the prefix, as text'), prefix: uint }).strict(),
]);
export const ownerPlanEntry = z
  .object({
    planId: uint.describe('1–255'),
    version: uint.describe('the version new channels open under'),
    onOffer: z.boolean().describe('validFrom ≤ now < validUntil'),
    name: z.string(),
    pricePerMB: bigDecimal.describe('token fractions per 1,000,000 bytes'),
    pricePerMinute: bigDecimal,
    downKbps: uint.describe('0: unlimited'),
    upKbps: uint,
    dataCapBytes: bigDecimal.describe('0: none'),
    timeCapSeconds: uint,
    validFrom: bigDecimal.describe('Unix time, ms'),
    validUntil: bigDecimal,
    zeroRated: z.array(zeroRatedEntry),
    zeroRatedWithoutCredit: z.boolean(),
    terms: z
      .string()
      .regex(/^([0-9a-f]{2})+$/)
      .describe('the published bytes, hex (contract/README.md "Plan terms")'),
  })
  .strict();
export const ownerPlansReply = z
  .object({
    owner: scriptHash,
    address: z.string(),
    plans: z.array(ownerPlanEntry),
  })
  .strict();
export { proofSchema as proofReply };
export const openApiReply = z.record(z.string(), z.unknown());
