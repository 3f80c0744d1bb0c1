import { asArray, asBigInt, asBool, asHash160, asHex, isNull, type StackItem } from './stack.js';

/** A router as the contract stores it; amounts in the token's smallest unit. */
export interface Router {
  key: string;
  owner: string;
  pricePerMB: bigint;
  pricePerMinute: bigint;
  active: boolean;
}

export interface Channel {
  id: bigint;
  guest: string;
  owner: string;
  router: string;
  token: string;
  voucherKey: string;
  deposit: bigint;
  redeemed: bigint;
  /** Milliseconds since the epoch, compared with block time. */
  expiry: bigint;
  closed: boolean;
}

export interface Anchor {
  router: string;
  seq: bigint;
  prev: string;
  root: string;
  hash: string;
  time: bigint;
}

export interface AnchorHead {
  seq: bigint;
  hash: string;
}

// Field order is the order of the Go structs in contract/qlink.
export function decodeRouter(item: StackItem | undefined): Router | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return { key: asHex(f[0]), owner: asHash160(f[1]), pricePerMB: asBigInt(f[2]), pricePerMinute: asBigInt(f[3]), active: asBool(f[4]) };
}

export function decodeChannel(item: StackItem | undefined): Channel | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return {
    id: asBigInt(f[0]),
    guest: asHash160(f[1]),
    owner: asHash160(f[2]),
    router: asHex(f[3]),
    token: asHash160(f[4]),
    voucherKey: asHex(f[5]),
    deposit: asBigInt(f[6]),
    redeemed: asBigInt(f[7]),
    expiry: asBigInt(f[8]),
    closed: asBool(f[9]),
  };
}

export function decodeAnchor(item: StackItem | undefined): Anchor | null {
  if (isNull(item)) return null;
  const f = asArray(item);
  return { router: asHex(f[0]), seq: asBigInt(f[1]), prev: asHex(f[2]), root: asHex(f[3]), hash: asHex(f[4]), time: asBigInt(f[5]) };
}

export function decodeHead(item: StackItem | undefined): AnchorHead {
  const f = asArray(item);
  return { seq: asBigInt(f[0]), hash: asHex(f[1]) };
}
