import { z } from 'zod';

/**
 * What binds a message to one deployment of the contract: the network's
 * magic (MainNet 860833102, TestNet 894710606, a private net its own) and
 * the contract's script hash as people read it (0x + 40 hex digits).
 */
export interface Deployment {
  networkMagic: number;
  contract: string;
}

export const deploymentSchema = z.object({
  networkMagic: z.int().min(0).max(0xffff_ffff),
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected 0x and 40 hex digits'),
});
