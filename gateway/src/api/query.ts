import type { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Query parameters as an object of strings (a parameter given twice is refused, not silently one of the two), parsed by `schema`. */
export function parseQuery<T extends z.ZodType>(schema: T, params: URLSearchParams): z.output<T> {
  const obj: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in obj) throw new HttpError(400, `query parameter ${k} given twice`);
    obj[k] = v;
  }
  return parseWith(schema, obj, 'query');
}

/** `value` parsed by `schema`, or a 400 naming the first problems (`what`: the part of the request). */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new HttpError(
      400,
      `${what}: ${r.error.issues
        .slice(0, 2)
        .map((i) => `${i.path.join('.') || what}: ${i.message}`)
        .join('; ')}`,
    );
  return r.data;
}
