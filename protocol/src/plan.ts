import { concat, u32le, u64le } from './bytes.js';

/**
 * A plan's terms as the owner publishes them on chain (contract/README.md
 * "Plan terms"): fixed fields, a name, and the zero-rated destinations. The
 * contract reads only validFrom and validUntil; the router meters by the
 * rest and the page bounds what it signs by it.
 */
export interface PlanTerms {
  /** Token units per 1,000,000 bytes. */
  pricePerMB: bigint;
  pricePerMinute: bigint;
  /** 0 = unlimited. */
  downKbps: number;
  upKbps: number;
  /** 0 = none. */
  dataCapBytes: bigint;
  timeCapSeconds: number;
  validFrom: bigint;
  validUntil: bigint;
  name: string;
  zeroRated: ZeroRated[];
  /** Zero-rated destinations stay reachable when the guest's credit is out. */
  zeroRatedWithoutCredit: boolean;
}

export type ZeroRated = { kind: 'host'; host: string } | { kind: 'ipv4' | 'ipv6'; address: Uint8Array; prefix: number };

export const PLAN_FORMAT = 1;
export const MAX_PLAN_BYTES = 1024;
export const MAX_ZERO_RATED = 32;
const FIXED = 54;
const U63 = (1n << 63n) - 1n;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const KIND = { host: 1, ipv4: 2, ipv6: 3 } as const;

export class PlanTermsError extends Error {
  override name = 'PlanTermsError';
}

function check(t: PlanTerms): void {
  const bad = (why: string): never => {
    throw new PlanTermsError(why);
  };
  for (const [k, v] of [
    ['pricePerMB', t.pricePerMB],
    ['pricePerMinute', t.pricePerMinute],
    ['dataCapBytes', t.dataCapBytes],
    ['validFrom', t.validFrom],
    ['validUntil', t.validUntil],
  ] as const) {
    if (v < 0n || v > U63) bad(`${k} out of range`);
  }
  for (const [k, v] of [
    ['downKbps', t.downKbps],
    ['upKbps', t.upKbps],
    ['timeCapSeconds', t.timeCapSeconds],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) bad(`${k} out of range`);
  }
  if (t.validUntil <= t.validFrom) bad('validUntil must be after validFrom');
  const name = new TextEncoder().encode(t.name);
  if (name.length < 1 || name.length > 32) bad('name must be 1 to 32 bytes of UTF-8');
  if (t.zeroRated.length > MAX_ZERO_RATED) bad(`at most ${MAX_ZERO_RATED} zero-rated destinations`);
  for (const z of t.zeroRated) {
    if (z.kind === 'host' && !HOST.test(z.host)) bad(`zero-rated host ${JSON.stringify(z.host)} is not a lowercase host name`);
    if (z.kind === 'ipv4' && (z.address.length !== 4 || !(z.prefix >= 0 && z.prefix <= 32))) bad('zero-rated IPv4 prefix malformed');
    if (z.kind === 'ipv6' && (z.address.length !== 16 || !(z.prefix >= 0 && z.prefix <= 128))) bad('zero-rated IPv6 prefix malformed');
  }
}

export function encodePlanTerms(t: PlanTerms): Uint8Array {
  check(t);
  const name = new TextEncoder().encode(t.name);
  const entries = t.zeroRated.map((z) => {
    const body = z.kind === 'host' ? new TextEncoder().encode(z.host) : concat(z.address, Uint8Array.of(z.prefix));
    return concat(Uint8Array.of(KIND[z.kind], body.length), body);
  });
  const out = concat(
    Uint8Array.of(PLAN_FORMAT, t.zeroRatedWithoutCredit ? 1 : 0),
    u64le(t.pricePerMB),
    u64le(t.pricePerMinute),
    u32le(t.downKbps),
    u32le(t.upKbps),
    u64le(t.dataCapBytes),
    u32le(t.timeCapSeconds),
    u64le(t.validFrom),
    u64le(t.validUntil),
    Uint8Array.of(name.length),
    name,
    Uint8Array.of(entries.length),
    ...entries,
  );
  if (out.length > MAX_PLAN_BYTES) throw new PlanTermsError(`terms are ${out.length} bytes, at most ${MAX_PLAN_BYTES}`);
  return out;
}

/** Decodes published terms; throws PlanTermsError on anything the encoder would not have written. */
export function decodePlanTerms(b: Uint8Array): PlanTerms {
  const bad = (why: string): never => {
    throw new PlanTermsError(`plan terms: ${why}`);
  };
  if (b.length < FIXED + 2 || b.length > MAX_PLAN_BYTES) bad(`${b.length} bytes`);
  if (b[0] !== PLAN_FORMAT) bad(`unknown format ${b[0]}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u64 = (at: number) => v.getBigUint64(at, true);
  const u32 = (at: number) => v.getUint32(at, true);
  let at = FIXED;
  const nameLen = b[at++]!;
  if (at + nameLen + 1 > b.length) bad('name runs past the end');
  const name = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(at, at + nameLen));
  at += nameLen;
  const count = b[at++]!;
  const zeroRated: ZeroRated[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 2 > b.length) bad('zero-rated list runs past the end');
    const kind = b[at]!;
    const len = b[at + 1]!;
    at += 2;
    if (at + len > b.length) bad('zero-rated entry runs past the end');
    const body = b.slice(at, at + len);
    at += len;
    if (kind === KIND.host) zeroRated.push({ kind: 'host', host: new TextDecoder('utf-8', { fatal: true }).decode(body) });
    else if (kind === KIND.ipv4 && len === 5) zeroRated.push({ kind: 'ipv4', address: body.slice(0, 4), prefix: body[4]! });
    else if (kind === KIND.ipv6 && len === 17) zeroRated.push({ kind: 'ipv6', address: body.slice(0, 16), prefix: body[16]! });
    else bad(`zero-rated entry of kind ${kind} and ${len} bytes`);
  }
  if (at !== b.length) bad('bytes after the last entry');
  const t: PlanTerms = {
    zeroRatedWithoutCredit: (b[1]! & 1) === 1,
    pricePerMB: u64(2),
    pricePerMinute: u64(10),
    downKbps: u32(18),
    upKbps: u32(22),
    dataCapBytes: u64(26),
    timeCapSeconds: u32(34),
    validFrom: u64(38),
    validUntil: u64(46),
    name,
    zeroRated,
  };
  try {
    check(t);
  } catch (e) {
    bad((e as Error).message);
  }
  return t;
}

/** A zero-rated prefix as text: 10.1.0.0/16, 2001:db8::/32 (the v6 form uncompressed, lower-case). */
export function zeroRatedText(z: ZeroRated): string {
  if (z.kind === 'host') return z.host;
  if (z.kind === 'ipv4') return `${[...z.address].join('.')}/${z.prefix}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((z.address[i]! << 8) | z.address[i + 1]!).toString(16));
  return `${groups.join(':')}/${z.prefix}`;
}

/** Terms as JSON (integers past 2^53 as decimal strings): what the gateway's API and the router's status show. */
export function planTermsJson(t: PlanTerms) {
  return {
    name: t.name,
    pricePerMB: t.pricePerMB.toString(),
    pricePerMinute: t.pricePerMinute.toString(),
    downKbps: t.downKbps,
    upKbps: t.upKbps,
    dataCapBytes: t.dataCapBytes.toString(),
    timeCapSeconds: t.timeCapSeconds,
    validFrom: t.validFrom.toString(),
    validUntil: t.validUntil.toString(),
    zeroRated: t.zeroRated.map((z) =>
      z.kind === 'host' ? { kind: z.kind, host: z.host } : { kind: z.kind, address: zeroRatedText(z).split('/')[0]!, prefix: z.prefix },
    ),
    zeroRatedWithoutCredit: t.zeroRatedWithoutCredit,
  };
}
