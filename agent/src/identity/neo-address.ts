import { createHash } from 'node:crypto';

/**
 * NEO N3 address of a public key with node:crypto alone: neon-js costs the
 * daemon tens of MB of RSS for these few hashes. test/identity.test.ts checks
 * the results against neon-js.
 */

/** Address version byte of NEO N3 ('N...' addresses). */
const ADDRESS_VERSION = 0x35;
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const hash = (alg: string, data: Uint8Array): Buffer => createHash(alg).update(data).digest();

/** Single-signature verification script: PUSHDATA1 33 <key> SYSCALL System.Crypto.CheckSig. */
export function verificationScript(publicKey: string): Buffer {
  const key = Buffer.from(publicKey, 'hex');
  if (key.length !== 33 || (key[0] !== 0x02 && key[0] !== 0x03)) throw new RangeError('expected a 33-byte compressed public key');
  return Buffer.concat([Buffer.of(0x0c, 0x21), key, Buffer.of(0x41, 0x56, 0xe7, 0xb3, 0x27)]);
}

/** RIPEMD160(SHA256(script)), in NEO's display order (big-endian hex, no 0x). */
export function scriptHashOf(publicKey: string): string {
  return hash('ripemd160', hash('sha256', verificationScript(publicKey))).reverse().toString('hex');
}

export function addressOf(scriptHash: string): string {
  const le = Buffer.from(scriptHash, 'hex').reverse();
  if (le.length !== 20) throw new RangeError('expected a 20-byte script hash');
  return base58check(Buffer.concat([Buffer.of(ADDRESS_VERSION), le]));
}

export function base58check(payload: Uint8Array): string {
  const check = hash('sha256', hash('sha256', payload)).subarray(0, 4);
  return base58(Buffer.concat([payload, check]));
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
