import { z } from 'zod';
import { anyHex, publicKeyHex } from './fields.js';

/** A router's request for its broker certificate (gateway POST /enroll), signed over enrollMessage. */
export const enrollBodySchema = z
  .object({
    router: publicKeyHex,
    at: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    signature: anyHex(64),
  })
  .strict();

export interface EnrollReply {
  /** PEM: the router's client certificate, CN = its address. */
  cert: string;
  /** PEM: the fleet CA, which the router already pins (uplink.caFile); sent so an operator can compare. */
  ca: string;
}
