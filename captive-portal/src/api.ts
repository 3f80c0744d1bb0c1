/** The agent's guest API; errors come back as { error, reason?, minimum? }. */
export interface GuestState {
  online: boolean; paying: boolean; plan: string | null; channelId: string | null;
  paid: string; cost: string; credit: string; creditWindow: string;
  secondsLeft: number | null; bytesLeft: number | null; bytesUsed: number; endReason: string | null; deposit: string | null;
}

export interface PayRequest { network: number; contract: string; to: string; amount: string; data: unknown[]; expiry: number; uri: string }

/** What log out did with the deposit (agent/src/portal/closing.ts). */
export type CloseReport =
  | { state: 'closed'; txid: string | null; charged: string; refunded: string }
  | { state: 'pending'; txid: string; refund: string | null; refundAfter: number | null }
  | { state: 'at-expiry'; reason: string; refund: string | null; refundAfter: number | null };

export interface Relayed { state: 'confirmed' | 'unconfirmed'; txid: string; channelId?: string | null }

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly reason?: string, readonly minimum?: string) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await fetch(path, {
    method, cache: 'no-store', credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as T & { error?: string; reason?: string; minimum?: string };
  if (!r.ok) throw new ApiError(json.reason ? `${json.reason}: ${json.error}` : json.error ?? `HTTP ${r.status}`, r.status, json.reason, json.minimum);
  return json;
}
