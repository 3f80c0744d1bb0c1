/**
 * NEO's standard JSON-RPC over fetch, nothing else: what a router needs to
 * read the contract, without neon-js (tens of MB of RSS). The same calls work
 * against any N3 node, so TestNet is a change of URL.
 */
export class JsonRpcError extends Error {
  override name = 'JsonRpcError';
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

export interface JsonRpc {
  call<T>(method: string, params: unknown[]): Promise<T>;
}

export class FetchJsonRpc implements JsonRpc {
  #id = 0;
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params });
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new JsonRpcError(`${method}: node unreachable (${(e as Error).message})`, null);
    }
    if (!res.ok) throw new JsonRpcError(`${method}: HTTP ${res.status}`, null);
    const json = (await res.json()) as { result?: T; error?: { code: number; message: string } };
    if (json.error) throw new JsonRpcError(`${method}: ${json.error.message}`, json.error.code);
    return json.result as T;
  }
}
