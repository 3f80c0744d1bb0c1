import { createHash } from 'node:crypto';
import { wallet } from '@cityofzion/neon-js';
import { p256 } from '@noble/curves/nist';
import { fromHex } from '../../protocol/src/index.js';

// The same signature as keys.signMessage, by the other two signers a client
// may have: neon-js (slow, but what NEO wallets use) and @noble/curves (pure
// JS, for a captive portal page, which is no secure context, so no WebCrypto).

export function signWithNeon(privateKeyHex: string, message: Uint8Array): Buffer {
  return Buffer.from(wallet.sign(Buffer.from(message).toString('hex'), privateKeyHex), 'hex');
}

export function signWithNoble(privateKeyHex: string, message: Uint8Array): Buffer {
  const digest = createHash('sha256').update(message).digest();
  return Buffer.from(p256.sign(digest, fromHex(privateKeyHex, 32)).toCompactRawBytes());
}
