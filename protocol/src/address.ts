import { concat, fromHex, toHex } from './bytes.js';
import { hash160, sha256 } from './hash.js';

/**
 * NEO N3 addresses of public keys without neon-js, which costs a router tens
 * of MB of RSS for these few hashes (test/identity.test.ts checks the
 * results against neon-js).
 */

/** Address version byte of NEO N3 ('N…' addresses). */
const ADDRESS_VERSION = 0x35;
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** 'N' and 33 more base58 characters. */
export const ADDRESS_PATTERN = /^N[1-9A-HJ-NP-Za-km-z]{33}$/;

export function isCompressedKey(hex: string): boolean {
  return /^0[23][0-9a-fA-F]{64}$/.test(hex);
}

/** Single-signature verification script: PUSHDATA1 33 <key> SYSCALL System.Crypto.CheckSig. */
export function verificationScript(publicKey: string): Uint8Array {
  if (!isCompressedKey(publicKey)) throw new RangeError('expected a 33-byte compressed public key');
  return concat(Uint8Array.of(0x0c, 0x21), fromHex(publicKey), Uint8Array.of(0x41, 0x56, 0xe7, 0xb3, 0x27));
}

/** RIPEMD160(SHA256(script)) in NEO's display order (big-endian hex, no 0x). */
export function scriptHashOf(publicKey: string): string {
  return toHex(hash160(verificationScript(publicKey)).reverse());
}

export function addressOf(scriptHash: string): string {
  const le = fromHex(scriptHash, 20, 'script hash').reverse();
  return base58check(concat(Uint8Array.of(ADDRESS_VERSION), le));
}

export const addressOfKey = (publicKey: string): string => addressOf(scriptHashOf(publicKey));

/** The script hash (0x…, big-endian) an address names; throws on a bad checksum or version. */
export function scriptHashOfAddress(address: string): string {
  if (!ADDRESS_PATTERN.test(address)) throw new TypeError('not a NEO N3 address');
  const bytes = unbase58(address);
  const payload = bytes.subarray(0, 21);
  const check = sha256(sha256(payload)).subarray(0, 4);
  if (bytes.length !== 25 || toHex(bytes.subarray(21)) !== toHex(check)) throw new TypeError('address checksum does not match');
  if (payload[0] !== ADDRESS_VERSION) throw new TypeError('not a NEO N3 address version');
  return '0x' + toHex(payload.subarray(1).reverse());
}

export function base58check(payload: Uint8Array): string {
  return base58(concat(payload, sha256(sha256(payload)).subarray(0, 4)));
}

export function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** Base58 to bytes (leading '1's are zero bytes). */
export function unbase58(s: string): Uint8Array {
  let n = 0n;
  for (const c of s) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new TypeError('not base58');
    n = n * 58n + BigInt(d);
  }
  const hex = n.toString(16);
  const body = fromHex(hex.length % 2 ? '0' + hex : hex);
  let zeros = 0;
  while (s[zeros] === '1') zeros++;
  return concat(new Uint8Array(zeros), body);
}
