import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** All a client needs to talk to one deployment; TestNet is another URL and magic. */
export const ChainConfig = z.object({
  rpc: z.string().url(),
  networkMagic: z.number().int().nonnegative().max(0xffffffff),
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
});
export type ChainConfig = z.infer<typeof ChainConfig>;

const Key = z.object({ address: z.string(), wif: z.string(), publicKey: z.string() });

/** What `scripts/chain up` prints and keeps in <dir>/chain.json. */
export const ChainState = ChainConfig.extend({
  wallets: z.record(z.string(), Key),
  settlementWindowMs: z.number().int().nonnegative(),
  deployedMs: z.number().optional(),
  upMs: z.number().optional(),
});
export type ChainState = z.infer<typeof ChainState>;

export function parseChainState(json: string): ChainState {
  return ChainState.parse(JSON.parse(json));
}

export function readChainState(path: string): ChainState {
  return parseChainState(readFileSync(path, 'utf8'));
}
