import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/**
 * The guest's voucher key and voucher signatures. A portal on plain HTTP is
 * no secure context (no crypto.subtle), so signing is pure JS (@noble/curves,
 * audited); crypto.getRandomValues, present everywhere, makes the key.
 */
export { voucherMessage } from '../../protocol/src/messages.js';

export function newKey(): string {
  return bytesToHex(p256.utils.randomPrivateKey());
}

export function publicKey(priv: string): string {
  return bytesToHex(p256.getPublicKey(hexToBytes(priv), true));
}

/** r‖s over SHA-256 of the message: what CryptoLib.verifyWithECDsa and the agent check. */
export function sign(priv: string, message: Uint8Array): string {
  return bytesToHex(p256.sign(sha256(message), hexToBytes(priv)).toCompactRawBytes());
}

const b64url = (b: Uint8Array): string =>
  btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * WebCrypto where the page is a secure context (the portal over HTTPS),
 * the pure-JS signer otherwise. Both give r‖s over SHA-256, which the agent
 * and the contract verify alike.
 */
export async function signVoucher(priv: string, message: Uint8Array): Promise<{ signature: string; by: 'webcrypto' | 'noble' }> {
  const subtle = globalThis.isSecureContext ? globalThis.crypto?.subtle : undefined;
  if (subtle) {
    const pub = p256.getPublicKey(hexToBytes(priv), false);
    const jwk = { kty: 'EC', crv: 'P-256', d: b64url(hexToBytes(priv)), x: b64url(pub.slice(1, 33)), y: b64url(pub.slice(33, 65)), ext: false };
    const key = await subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, message as Uint8Array<ArrayBuffer>);
    return { signature: bytesToHex(new Uint8Array(sig)), by: 'webcrypto' };
  }
  return { signature: sign(priv, message), by: 'noble' };
}
