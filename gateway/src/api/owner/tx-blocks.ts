/** The block a transaction is in, or null while the chain does not know it; throws when the chain cannot be asked. */
export type BlockLookup = (txid: string) => Promise<number | null>;

const MAX_KNOWN = 10_000;

/**
 * Blocks of settlement transactions for the owner's page. The settlement
 * books keep no block number, so the page asks the chain (one
 * `gettransactionheight` per transaction, at most timeoutMs, all at once) and
 * keeps each answer: a transaction's block never changes. A chain that does
 * not answer leaves the block blank; the page is never held up for long.
 */
export class TxBlocks {
  readonly #known = new Map<string, number>();

  constructor(
    private readonly lookup: BlockLookup,
    private readonly timeoutMs = 2000,
  ) {}

  async blocks(txids: string[]): Promise<Map<string, number>> {
    const ask = [...new Set(txids)].filter((id) => !this.#known.has(id));
    await Promise.all(
      ask.map(async (id) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<null>((ok) => {
          timer = setTimeout(() => ok(null), this.timeoutMs);
        });
        const n = await Promise.race([this.lookup(id).catch(() => null), late]).finally(() => clearTimeout(timer));
        if (n === null || !Number.isSafeInteger(n) || n < 0) return;
        if (this.#known.size >= MAX_KNOWN) this.#known.delete(this.#known.keys().next().value!);
        this.#known.set(id, n);
      }),
    );
    return new Map(txids.filter((id) => this.#known.has(id)).map((id) => [id, this.#known.get(id)!]));
  }
}

/** The lookup over neon-js's RPC client: neo-go answers an error for a transaction it has not seen. */
export function rpcBlockLookup(rpc: { getTransactionHeight(txid: string): Promise<number> }): BlockLookup {
  return async (txid) => {
    try {
      return await rpc.getTransactionHeight(txid);
    } catch (e) {
      if (/unknown|not found/i.test((e as Error).message)) return null;
      throw e;
    }
  };
}
