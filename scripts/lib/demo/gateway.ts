import { z } from 'zod';

const totals = z.object({ batches: z.number(), records: z.number(), anomalies: z.number(), pendingTxs: z.number() });
const health = z.object({ ok: z.boolean(), totals });
const tx = z
  .object({ txid: z.string(), kind: z.string(), status: z.string(), items: z.number(), round: z.number().nullable(), gasFee: z.number().nullable() })
  .passthrough();
const session = z
  .object({
    router: z.string(),
    sessionId: z.number(),
    channelId: z.number().nullable(),
    bytesDown: z.number(),
    bytesUp: z.number(),
    seconds: z.number(),
    cost: z.number(),
    voucherAmount: z.number(),
  })
  .passthrough();
const router = z.object({ address: z.string(), online: z.boolean() }).passthrough();
const owner = z.object({ owner: z.string(), routers: z.number(), metered: z.number(), settled: z.number() });

export type GatewayTx = z.infer<typeof tx>;
export type GatewaySession = z.infer<typeof session>;

/** What the gateway stored and settled, through its operator API (read-only, validated like any input from outside). */
export class GatewayView {
  /** token: the operator's (api.token): the API shows nobody the books without a login. */
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  get #auth(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async #get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const r = await fetch(this.url + path, { headers: this.#auth, signal: AbortSignal.timeout(5_000) });
    if (!r.ok) throw new Error(`gateway ${path}: HTTP ${r.status}`);
    return schema.parse(await r.json());
  }

  /** A page as a browser would get it: its status and size. */
  async page(url: string): Promise<{ status: number; bytes: number }> {
    const r = await fetch(url, { headers: this.#auth, signal: AbortSignal.timeout(10_000) });
    return { status: r.status, bytes: (await r.arrayBuffer()).byteLength };
  }

  totals() {
    return this.#get('/health', health).then((h) => h.totals);
  }
  transactions() {
    return this.#get('/transactions?limit=100', z.object({ transactions: z.array(tx) })).then((r) => r.transactions);
  }
  sessions() {
    return this.#get('/sessions?limit=1000', z.object({ sessions: z.array(session) })).then((r) => r.sessions);
  }
  routers() {
    return this.#get('/routers', z.object({ routers: z.array(router) })).then((r) => r.routers);
  }
  /** A batch's inclusion proof (not checked here: chain/src/verify-proof.ts does), or why there is none yet (HTTP 404). */
  async proof(router: string, seq: number): Promise<{ proof: unknown } | { missing: string }> {
    const r = await fetch(`${this.url}/api/proof?router=${router}&seq=${seq}`, { signal: AbortSignal.timeout(5_000) });
    if (r.status === 404) return { missing: ((await r.json()) as { error?: string }).error ?? 'not found' };
    if (!r.ok) throw new Error(`gateway /api/proof: HTTP ${r.status}`);
    return { proof: await r.json() };
  }
  earnings() {
    return this.#get('/earnings', z.object({ owners: z.array(owner) })).then((r) => r.owners);
  }
}
