import type { RouterInfo } from '../store/types.js';

/**
 * Who may send usage: a router key registered on chain (and still active).
 * lookup() answers null for a key the chain does not know, and throws when it
 * cannot tell (RPC down, nothing cached): the batch then waits for a resend
 * instead of being refused for the chain's sake.
 */
export interface RouterRegistry {
  lookup(publicKey: string): Promise<RouterInfo | null>;
}
