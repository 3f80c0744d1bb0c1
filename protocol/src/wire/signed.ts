import { z } from 'zod';
import { canonicalJson } from './canonical.js';
import { lowerHex, publicKeyHex } from './fields.js';

/**
 * Signatures on the uplink, so the broker is not what decides who said what
 * (docs/channel-rpc.md, "Who signs what"). A router signs every RPC request
 * with its registered key; the gateway signs every ack and RPC answer with a
 * key each router pins (uplink.gatewayKey). Each signed text starts with a
 * tag and the router id, so nothing signed for one router or one direction
 * passes for another; the signature is P-256 r‖s over SHA-256 of the UTF-8
 * text, as everywhere else.
 */
export const REQUEST_TAG = 'qlink-rpc-request-v1';
export const GATEWAY_TAG = 'qlink-gateway-v1';
/** A request may not be valid longer than this: it bounds how long nonces are kept and how far a copied request reaches. */
export const MAX_REQUEST_LIFETIME_MS = 5 * 60_000;

export const requestAuthSchema = z
  .object({
    /** The router's public key; its address must be the topic's router id. */
    key: publicKeyHex,
    nonce: lowerHex(16),
    /** Absolute, ms since the epoch. */
    expires: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    sig: lowerHex(64),
  })
  .strict();
export type RequestAuth = z.infer<typeof requestAuthSchema>;

/** The text a router signs for a request: every field but `auth.sig`. */
export function requestSigningBytes(routerId: string, request: Record<string, unknown> & { auth: Omit<RequestAuth, 'sig'> }): Uint8Array {
  const { auth, ...rest } = request;
  const { key, nonce, expires } = auth;
  return new TextEncoder().encode(`${REQUEST_TAG}\0${routerId}\0${canonicalJson({ ...rest, auth: { key, nonce, expires } })}`);
}

/** The text the gateway signs for an ack or an answer to `routerId`: the message without its `sig`. */
export function gatewaySigningBytes(routerId: string, message: Record<string, unknown>): Uint8Array {
  const { sig: _sig, ...rest } = message;
  return new TextEncoder().encode(`${GATEWAY_TAG}\0${routerId}\0${canonicalJson(rest)}`);
}

/** JSON as it travels: bigints as decimal strings, so what is signed is what is parsed. */
export function plainJson(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}
