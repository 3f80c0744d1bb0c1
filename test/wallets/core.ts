import { sc, tx, u, wallet } from '@cityofzion/neon-js';
import { request } from 'node:http';

/**
 * What the wallet test doubles share: the wallet's own JSON-RPC to the node
 * (a real wallet talks to its network's RPC, not through the page), and the
 * prompts it would show the guest, answered by the test.
 */

export type Rpc = <T>(method: string, params: unknown[]) => Promise<T>;

/** JSON-RPC over HTTP to a URL, or over a Unix socket that a bridge in the guest's network namespace forwards (so the wallet's traffic crosses the router like a phone's). */
export function jsonRpc(target: { url: string } | { socket: string }): Rpc {
  let id = 0;
  return <T>(method: string, params: unknown[]) =>
    new Promise<T>((ok, fail) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params });
      const where = 'url' in target ? new URL(target.url) : null;
      const r = request(
        {
          ...(where ? { host: where.hostname, port: where.port, path: where.pathname } : { socketPath: (target as { socket: string }).socket, path: '/' }),
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 20_000,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => {
            try {
              const j = JSON.parse(text) as { result?: T; error?: { code: number; message: string } };
              if (j.error) fail(Object.assign(new Error(j.error.message), { rpc: j.error }));
              else ok(j.result as T);
            } catch (e) {
              fail(e);
            }
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`${method}: no answer`)));
      r.on('error', fail);
      r.end(body);
    });
}

/** How the test answers a prompt: confirm, refuse (Cancel), or never (the guest walks away; the wallet never answers). */
export type Answer = 'yes' | 'no' | 'never';
export type PromptKind = 'authorization' | 'sign-transaction' | 'invoke' | 'sign-message';
export interface Prompt {
  kind: PromptKind;
  at: number;
  detail: Record<string, unknown>;
  answer: Answer;
}
export type Policy = (kind: PromptKind, detail: Record<string, unknown>) => Answer | Promise<Answer>;

export class Prompts {
  readonly seen: Prompt[] = [];
  constructor(
    public policy: Policy = () => 'yes',
    private readonly onPrompt?: (p: Prompt) => Promise<void> | void,
  ) {}

  async ask(kind: PromptKind, detail: Record<string, unknown>): Promise<Answer> {
    const answer = await this.policy(kind, detail);
    const p = { kind, at: Date.now(), detail, answer };
    this.seen.push(p);
    await this.onPrompt?.(p);
    return answer;
  }
}

export const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The guest's GAS, as a wallet reads it to check its fees. */
export async function gasOf(rpc: Rpc, account: string): Promise<bigint> {
  const r = await rpc<{ stack: Array<{ value: string }> }>('invokefunction', [
    '0xd2a4cff31913016155e38e474a2c06d08be276cf',
    'balanceOf',
    [{ type: 'Hash160', value: account }],
  ]);
  return BigInt(r.stack[0]?.value ?? '0');
}

export { sc, tx, u, wallet };
