import type { ApiErrorBody } from '../../../protocol/src/guest-api.js';

/** The per-guest limits, by the name a refusal carries (docs/portal.md "Limits per guest"). */
export type LimitName = NonNullable<ApiErrorBody['limit']>;

/**
 * A guest went over one of its limits: answered 429 with Retry-After and a
 * JSON body naming the limit. Thrown through the layers in between as is
 * (none of them may turn it into a 503: the guest, not the gateway, is the cause).
 */
export class LimitExceeded extends Error {
  constructor(
    readonly limit: LimitName,
    readonly retryAfterMs: number,
    detail: string,
  ) {
    super(detail);
  }

  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }

  /** The answer's body (ApiErrorBody with reason 'rate-limit'). */
  body(): { error: string; reason: 'rate-limit'; limit: LimitName; retryAfterSeconds: number } {
    return { error: this.message, reason: 'rate-limit', limit: this.limit, retryAfterSeconds: this.retryAfterSeconds };
  }
}

/** The raw HTTP answer for a connection refused before any parser saw it (the per-guest connection cap). */
export function rawRefusal(e: LimitExceeded): string {
  const body = JSON.stringify(e.body());
  return (
    `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: ${e.retryAfterSeconds}\r\n` +
    `cache-control: no-store\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
