import { z } from 'zod';

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
  }).strict(),
  z.object({ cmd: z.literal('deauth'), guest }).strict(),
]);

export type Request = z.infer<typeof requestSchema>;

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
}

/** A refusal whose message is meant for the person at the CLI. */
export class UserError extends Error {}
