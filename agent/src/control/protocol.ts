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
  z.object({
    cmd: z.literal('auth'),
    guest,
    minutes: z.int().min(1).max(525_600).optional(),
    quotaBytes: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    plan: z.string().min(1).max(32).optional(),
    down: rateSchema.optional(),
    up: rateSchema.optional(),
  }).strict(),
  z.object({ cmd: z.literal('set-rate'), guest, down: rateOrNoneSchema.optional(), up: rateOrNoneSchema.optional() }).strict()
    .refine((r) => r.down !== undefined || r.up !== undefined, { message: 'set-rate needs down or up' }),
  z.object({ cmd: z.literal('deauth'), guest }).strict(),
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
  plan: string | null;
  downBps: number | null;
  upBps: number | null;
}

/** A refusal whose message is meant for the person at the CLI. */
export class UserError extends Error {}
