import { vmToScriptHash } from './bytes.js';

/** A NEO JSON-RPC stack item, as invoke results and application logs carry them. */
export interface StackItem {
  type: string;
  value?: unknown;
}

export function isNull(item: StackItem | undefined): boolean {
  return !item || item.type === 'Any' || item.type === 'Null';
}

export function asBigInt(item: StackItem | undefined): bigint {
  if (item?.type === 'Integer') return BigInt(item.value as string);
  if (item?.type === 'Boolean') return item.value ? 1n : 0n;
  const b = asBytes(item);
  // VM integers are little-endian two's complement.
  return b.length === 0 ? 0n : BigInt.asIntN(b.length * 8, BigInt('0x' + Buffer.from(b).reverse().toString('hex')));
}

export function asBytes(item: StackItem | undefined): Buffer {
  if (item?.type === 'ByteString' || item?.type === 'Buffer') return Buffer.from(item.value as string, 'base64');
  throw new TypeError(`expected bytes, got ${item?.type}`);
}

export function asHex(item: StackItem | undefined): string {
  return asBytes(item).toString('hex');
}

export function asHash160(item: StackItem | undefined): string {
  return vmToScriptHash(asBytes(item));
}

export function asBool(item: StackItem | undefined): boolean {
  if (item?.type === 'Boolean') return item.value as boolean;
  return asBigInt(item) !== 0n;
}

export function asArray(item: StackItem | undefined): StackItem[] {
  if (item?.type === 'Array' || item?.type === 'Struct') return item.value as StackItem[];
  throw new TypeError(`expected array, got ${item?.type}`);
}
