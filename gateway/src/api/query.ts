import { z } from 'zod';

/** Query parameters of the operator API: strings on the wire, checked and turned into numbers here. */
const ms = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const limit = z.coerce.number().int().min(1).max(10_000).default(100);
const router = z.string().regex(/^N[1-9A-HJ-NP-Za-km-z]{33}$/, 'a NEO N3 address');

export const rangeQuery = z.object({ router: router.optional(), from: ms.optional(), to: ms.optional(), limit }).strict();
export const txQuery = z.object({ status: z.enum(['pending', 'confirmed', 'faulted', 'expired']).optional(), limit }).strict();
export const anomalyQuery = z.object({ status: z.enum(['held', 'reported', 'resolved']).optional(), router: router.optional(), limit }).strict();
export const emptyQuery = z.object({}).strict();
export const idParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function parseQuery<T extends z.ZodType>(schema: T, params: URLSearchParams): z.infer<T> {
  const obj: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in obj) throw new HttpError(400, `query parameter ${k} given twice`);
    obj[k] = v;
  }
  const r = schema.safeParse(obj);
  if (!r.success) throw new HttpError(400, r.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  return r.data;
}
