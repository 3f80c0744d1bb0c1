import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { fromHex } from './bytes.js';

// DER prefixes for P-256 keys, so raw NEO keys load into node:crypto without
// a JWK round trip: PKCS#8 without the optional public key, and SPKI with a
// compressed point (OpenSSL accepts both).
const PKCS8_P256 = Buffer.from('308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex');
const SPKI_P256_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

export function privateKeyFromHex(hex: string): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_P256, fromHex(hex, 32)]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromHex(compressedHex: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED, fromHex(compressedHex, 33)]), format: 'der', type: 'spki' });
}

/** NEO's 33-byte compressed form of a P-256 public key, as hex. */
export function compressedPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new TypeError('not an EC key');
  const x = Buffer.from(jwk.x, 'base64url');
  const yOdd = (Buffer.from(jwk.y, 'base64url').at(-1) ?? 0) & 1;
  return Buffer.concat([Buffer.of(yOdd ? 3 : 2), x]).toString('hex');
}

export function privateKeyHex(key: KeyObject): string {
  const d = key.export({ format: 'jwk' }).d;
  if (!d) throw new TypeError('not a private key');
  return Buffer.from(d, 'base64url').toString('hex');
}

/** A fresh voucher key, as the portal makes one per channel. */
export function newKeyPair(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey: compressedPublicKey(privateKey) };
}

/** ECDSA P-256 over SHA-256 of the message, r||s: what verifyWithECDsa takes. */
export function signMessage(key: KeyObject, message: Uint8Array): Buffer {
  return sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
}

export function verifyMessage(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === 64 && verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}
