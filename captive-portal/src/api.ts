/** The agent's guest API (protocol/src/guest-api.ts); errors come back as ApiErrorBody. */
import type { ApiErrorBody } from '../../protocol/src/guest-api.js';

export type { CloseReport, GuestState, HeldChannel, PayRequest, PlanOffer, Relayed } from '../../protocol/src/guest-api.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
    readonly minimum?: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, retried = false): Promise<T> {
  const r = await fetch(path, {
    method,
    cache: 'no-store',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as T & Partial<ApiErrorBody>;
  // Over one of the router's per-guest limits: once more after the wait it names, if that is short.
  if (r.status === 429 && !retried && (json.retryAfterSeconds ?? 99) <= 10) {
    await new Promise((done) => setTimeout(done, (json.retryAfterSeconds ?? 1) * 1000));
    return call<T>(method, path, body, true);
  }
  if (!r.ok)
    throw new ApiError(
      json.reason && !/^[A-Z]/.test(json.error ?? '') ? `${json.reason}: ${json.error}` : (json.error ?? `HTTP ${r.status}`),
      r.status,
      json.reason,
      json.minimum,
    );
  return json;
}
