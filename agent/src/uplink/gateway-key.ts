import { fromHex, gatewaySigningBytes } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';

/**
 * Whether an ack or RPC answer really comes from the gateway this router
 * pins (uplink.gatewayKey): anything else on the router's answer topics, a
 * forged ack that would make it delete batches the gateway never stored, or
 * a made-up channel answer, is dropped.
 */
export function signedByGateway(routerId: string, gatewayKey: string, message: Record<string, unknown>): boolean {
  const sig = message.sig;
  if (typeof sig !== 'string' || !/^[0-9a-f]{128}$/.test(sig)) return false;
  try {
    return verifyP256(gatewaySigningBytes(routerId, message), fromHex(sig, 64), gatewayKey);
  } catch {
    return false;
  }
}
