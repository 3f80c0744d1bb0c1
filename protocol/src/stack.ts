import { toHex, vmToScriptHash } from './bytes.js';

/** A NEO JSON-RPC stack item, as invoke results and application logs carry them. */
export interface StackItem {
  type: string;
  value?: unknown;
}

export function isNull(item: StackItem | undefined): boolean {
  return !item || item.type === 'Any' || item.type === 'Null';
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toBase64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function asBytes(item: StackItem | undefined): Uint8Array {
  if (item?.type === 'ByteString' || item?.type === 'Buffer') return fromBase64(item.value as string);
  throw new TypeError(`expected bytes, got ${item?.type}`);
}

/** VM integers are little-endian two's complement; Integer items come as decimal strings. */
export function asBigInt(item: StackItem | undefined): bigint {
  if (item?.type === 'Integer') return BigInt(item.value as string);
  if (item?.type === 'Boolean') return item.value ? 1n : 0n;
  const b = asBytes(item);
  return b.length === 0 ? 0n : BigInt.asIntN(b.length * 8, BigInt('0x' + toHex(Uint8Array.from(b).reverse())));
}

export const asHex = (item: StackItem | undefined): string => toHex(asBytes(item));
export const asHash160 = (item: StackItem | undefined): string => vmToScriptHash(asBytes(item));

export function asBool(item: StackItem | undefined): boolean {
  if (item?.type === 'Boolean') return item.value as boolean;
  return asBigInt(item) !== 0n;
}

export function asArray(item: StackItem | undefined): StackItem[] {
  if (item?.type === 'Array' || item?.type === 'Struct') return item.value as StackItem[];
  throw new TypeError(`expected array, got ${item?.type}`);
}

export function asString(item: StackItem | undefined): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(asBytes(item));
}
