import { z } from 'zod';
import { rateOrNoneSchema, rateSchema } from '../shaper/rate.js';

/** One JSON object per line each way; a line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 64 * 1024;

const guest = z.string().min(1).max(64);

export const requestSchema = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('status') }).strict(),
  z.object({ cmd: z.literal('clients') }).strict(),
  z.object({ cmd: z.literal('identity') }).strict(),
  z.object({ cmd: z.literal('repair') }).strict(),
  z
    .object({
      cmd: z.literal('auth'),
      guest,
      minutes: z.int().min(1).max(525_600).optional(),
      quotaBytes: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
      plan: z.string().min(1).max(32).optional(),
      down: rateSchema.optional(),
      up: rateSchema.optional(),
    })
    .strict(),
  z
    .object({ cmd: z.literal('set-rate'), guest, down: rateOrNoneSchema.optional(), up: rateOrNoneSchema.optional() })
    .strict()
    .refine((r) => r.down !== undefined || r.up !== undefined, { message: 'set-rate needs down or up' }),
  z.object({ cmd: z.literal('deauth'), guest }).strict(),
  /** The router's registration claim for an owner (0x script hash), for `qlink register`: the router's key never leaves the daemon. */
  z
    .object({
      cmd: z.literal('claim'),
      owner: z
        .string()
        .regex(/^0x[0-9a-fA-F]{40}$/)
        .transform((s) => s.toLowerCase()),
    })
    .strict(),
]);

export type Request = z.infer<typeof requestSchema>;
/** What a client sends: rates may still be text such as "5mbit"; the daemon parses them. */
export type RequestInput = z.input<typeof requestSchema>;

export type Response = { ok: true; result: unknown } | { ok: false; error: string };

export interface ClientView {
  mac: string;
  hostname: string | null;
  ip4: string | null;
  ip6: string[];
  state: 'authorized' | 'pending';
  sessionId: number | null;
  bytesDown: number;
  bytesUp: number;
  startedAt: number | null;
  secondsLeft: number | null;
  bytesLeft: number | null;
  /** Bytes to and from the plan's zero-rated destinations (not in bytesDown/bytesUp, never charged). */
  zeroDown: number;
  zeroUp: number;
  /** Credit out on a plan that keeps its zero-rated destinations: only those are reachable. */
  zeroOnly: boolean;
  plan: string | null;
  downBps: number | null;
  upBps: number | null;
}

/** A refusal whose message is meant for the person at the CLI. */
export class UserError extends Error {}
