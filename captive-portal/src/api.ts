/** The agent's guest API; errors come back as { error, reason? }. */
export interface GuestState {
  online: boolean; paying: boolean; plan: string | null; channelId: string | null;
  paid: string; cost: string; credit: string; creditWindow: string;
  secondsLeft: number | null; bytesLeft: number | null; bytesUsed: number; endReason: string | null; deposit: string | null;
}

export interface PayRequest { network: number; contract: string; to: string; amount: string; data: unknown[]; expiry: number; uri: string }

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await fetch(path, {
    method, cache: 'no-store', credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as T & { error?: string; reason?: string };
  if (!r.ok) throw new Error(json.reason ? `${json.reason}: ${json.error}` : json.error ?? `HTTP ${r.status}`);
  return json;
}
