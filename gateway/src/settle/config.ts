import { z } from 'zod';

/**
 * When and how the gateway settles. The wallet only pays fees: redeemBatch
 * pays each channel's owner and anchorBatch is authorised by the router's
 * own signature, so any funded key will do (contract/README.md).
 */
export const settlementConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** WIF of the fee-paying wallet; or name an environment variable in wifEnv so the key stays out of the file. */
  wif: z.string().min(50).optional(),
  wifEnv: z.string().min(1).optional(),
  /** Settle at least this often when anything is owed. */
  intervalMs: z.int().min(1000).default(10 * 60_000),
  /** ...and at once when this many channels or batches wait. */
  maxPendingVouchers: z.int().min(1).default(500),
  maxPendingBatches: z.int().min(1).default(500),
  /** Per transaction. scripts/bench-settle measured 495 at most: the VM stack (2,048 items) ends it before the 102,400-byte cap; 495 cost 66 GAS of system fee, so a public node must allow that much MaxGasInvoke. */
  maxChannelsPerTx: z.int().min(1).max(495).default(450),
  maxAnchorsPerTx: z.int().min(0).max(500).default(100),
  /** How often the books and the chain are compared (pending txs, thresholds). */
  checkMs: z.int().min(100).default(2000),
  validForBlocks: z.int().min(2).max(5760).default(100),
}).strict().refine((c) => !c.enabled || c.wif || c.wifEnv, 'settlement needs wif or wifEnv');

export type SettlementConfig = z.infer<typeof settlementConfigSchema>;

export function settlementWif(c: SettlementConfig, env: NodeJS.ProcessEnv = process.env): string {
  const wif = c.wif ?? (c.wifEnv ? env[c.wifEnv] : undefined);
  if (!wif) throw new Error(`settlement: no wallet key (set ${c.wifEnv ?? 'settlement.wif'})`);
  return wif;
}
