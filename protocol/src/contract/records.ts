import { asArray, asBigInt, asBool, asBytes, asHash160, asHex, isNull, type StackItem } from '../stack.js';

/**
 * What the contract's safe reads return (contract/README.md "Safe reads"),
 * fields in the order the contract lists them. Byte fields may come as
 * Buffer or ByteString items; both read the same.
 */

/** A registered router: the owner its channels pay. */
export interface Router {
  key: string;
  /** 0x script hash. */
  owner: string;
  active: boolean;
}

export interface Channel {
  id: bigint;
  guest: string;
  owner: string;
  token: string;
  voucherKey: string;
  deposit: bigint;
  redeemed: bigint;
  /** Milliseconds since the epoch, compared with block time. */
  expiry: bigint;
  closed: boolean;
  planId: number;
  planVersion: number;
}

/** The current version of one of an owner's plans; terms decode with decodePlanTerms. */
export interface PlanRecord {
  version: number;
  validFrom: bigint;
  validUntil: bigint;
  terms: Uint8Array;
}

/** The newest settlement round an anchorer recorded (round 0, zero root before the first). */
export interface RoundHead {
  round: bigint;
  root: string;
}

export function decodeRouter(key: string, item: StackItem | undefined): Router | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return { key, owner: asHash160(f[0]), active: asBool(f[1]) };
}

export function decodeChannel(item: StackItem | undefined): Channel | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return {
    id: asBigInt(f[0]),
    guest: asHash160(f[1]),
    owner: asHash160(f[2]),
    token: asHash160(f[3]),
    voucherKey: asHex(f[4]),
    deposit: asBigInt(f[5]),
    redeemed: asBigInt(f[6]),
    expiry: asBigInt(f[7]),
    closed: asBool(f[8]),
    planId: Number(asBigInt(f[9])),
    planVersion: Number(asBigInt(f[10])),
  };
}

export function decodePlan(item: StackItem | undefined): PlanRecord | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return { version: Number(asBigInt(f[0])), validFrom: asBigInt(f[1]), validUntil: asBigInt(f[2]), terms: asBytes(f[3]) };
}

export function decodeRound(item: StackItem | undefined): RoundHead {
  const f = asArray(item);
  return { round: asBigInt(f[0]), root: asHex(f[1]) };
}
