import type { z } from 'zod';

/**
 * An MQTT payload read as JSON and checked with a schema; why not, in a few
 * words for a log line. `raw` is the JSON as it came, which is what a
 * signature covers (a schema may drop or fill in fields).
 */
export function readJsonMessage<S extends z.ZodType>(
  payload: Buffer,
  schema: S,
  maxBytes: number,
): { ok: true; value: z.infer<S>; raw: Record<string, unknown> } | { ok: false; why: string } {
  if (payload.length > maxBytes) return { ok: false, why: `too large (${payload.length} bytes)` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  const r = schema.safeParse(json);
  return r.success
    ? { ok: true, value: r.data as z.infer<S>, raw: json as Record<string, unknown> }
    : { ok: false, why: `bad shape (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})` };
}
