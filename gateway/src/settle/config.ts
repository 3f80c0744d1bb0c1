import { z } from 'zod';

/** A key named by its WIF, or by the environment variable that holds it (so it stays out of the file). */
const keyRef = z.object({ wif: z.string().min(50).optional(), wifEnv: z.string().min(1).optional() }).strict()
  .refine((k) => !!k.wif !== !!k.wifEnv, 'give wif or wifEnv');

/**
 * When and how the gateway settles. The wallet only pays fees: redeemBatch
 * pays each channel's owner and anchorBatch is authorised by the router's
 * own signature, so any funded key will do (contract/README.md). Closing a
 * channel cooperatively is different: the contract's close wants the owner's
 * witness, so the gateway closes only channels of owners whose key it holds.
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
  /** Owners' keys, for cooperative closes at a guest's log out; without the channel's owner's key its refund waits for expiry. */
  ownerKeys: z.array(keyRef).max(1000).default([]),
}).strict().refine((c) => !c.enabled || c.wif || c.wifEnv, 'settlement needs wif or wifEnv');

export type SettlementConfig = z.infer<typeof settlementConfigSchema>;

const wifOf = (k: { wif?: string; wifEnv?: string }, env: NodeJS.ProcessEnv): string | undefined => k.wif ?? (k.wifEnv ? env[k.wifEnv] : undefined);

export function settlementWif(c: SettlementConfig, env: NodeJS.ProcessEnv = process.env): string {
  const wif = wifOf(c, env);
  if (!wif) throw new Error(`settlement: no wallet key (set ${c.wifEnv ?? 'settlement.wif'})`);
  return wif;
}

/** The owners' WIFs; a named environment variable that is unset is an error at start, not a silent "no close". */
export function ownerWifs(c: SettlementConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  return c.ownerKeys.map((k) => {
    const wif = wifOf(k, env);
    if (!wif) throw new Error(`settlement.ownerKeys: ${k.wifEnv} is not set`);
    return wif;
  });
}
