import { wallet } from '@cityofzion/neon-js';
import type { KeyObject } from 'node:crypto';
import { gatewaySigningBytes, plainJson, toHex } from '../../../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, signP256 } from '../../../protocol/src/node/index.js';

/**
 * The gateway's own key: every ack and RPC answer it sends a router carries
 * its signature, and routers pin its public key (uplink.gatewayKey), so a
 * client of the broker that is not this gateway cannot tell a router that a
 * batch is stored or a channel closed. Its address also anchors the
 * settlement rounds when it is the settlement wallet's key.
 */
export class GatewaySigner {
  readonly #key: KeyObject;
  readonly publicKey: string;

  constructor(wif: string) {
    this.#key = privateKeyFromHex(wallet.getPrivateKeyFromWIF(wif));
    this.publicKey = compressedPublicKey(this.#key);
  }

  /** The message as it travels (bigints as decimal strings), with `sig` over what the router will parse. */
  seal(routerId: string, message: object): Record<string, unknown> {
    const plain = plainJson(message);
    return { ...plain, sig: toHex(signP256(this.#key, gatewaySigningBytes(routerId, plain))) };
  }
}
