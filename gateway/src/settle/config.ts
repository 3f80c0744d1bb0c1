import { z } from 'zod';

/** A key named by its WIF, or by the environment variable that holds it (so it stays out of the file). */
const keyRef = z
  .object({ wif: z.string().min(50).optional(), wifEnv: z.string().min(1).optional() })
  .strict()
  .refine((k) => !!k.wif !== !!k.wifEnv, 'give wif or wifEnv');

/**
 * When and how the gateway settles. The settlement wallet pays the fees and
 * is the anchorer of this gateway's rounds (anchorRound wants its witness;
 * verifiers pin it); redeemBatch pays each channel's owner, whoever sends it
 * (contract/README.md). Closing a channel cooperatively wants the owner's
 * witness or a closer's the owner authorised (setCloser): the gateway holds
 * closer keys only, never an owner's payout key.
 */
export const settlementConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** WIF of the fee-paying wallet; or name an environment variable in wifEnv so the key stays out of the file. */
    wif: z.string().min(50).optional(),
    wifEnv: z.string().min(1).optional(),
    /** Redeem vouchers at least this often when any are owed... */
    intervalMs: z
      .int()
      .min(1000)
      .default(10 * 60_000),
    /** ...and at once when this many channels wait. */
    maxPendingVouchers: z.int().min(1).default(500),
    /** Cut a settlement round (one Merkle root over every batch stored since the last, anchored on chain) at least this often when batches wait... */
    roundIntervalMs: z
      .int()
      .min(1000)
      .default(60 * 60_000),
    /** ...and at once when this many batches wait. */
    maxPendingBatches: z.int().min(1).default(50_000),
    /** Batches in one round at most (its leaves are read back to serve proofs); the rest wait for the next. */
    maxBatchesPerRound: z.int().min(1).max(1_000_000).default(100_000),
    /** Per transaction. scripts/bench-settle measured 495 at most: the VM stack (2,048 items) ends it before the 102,400-byte cap; 495 cost 66 GAS of system fee, so a public node must allow that much MaxGasInvoke. */
    maxChannelsPerTx: z.int().min(1).max(495).default(450),
    /** How often the books and the chain are compared (pending txs, thresholds), and a follower tries for the lead. */
    checkMs: z.int().min(100).default(2000),
    validForBlocks: z.int().min(2).max(5760).default(100),
    /** Closer keys the owners authorised (setCloser), for cooperative closes at a guest's log out; an owner with none waits for the refund at expiry. */
    closerKeys: z.array(keyRef).max(1000).default([]),
    /** How long which owners authorised which closer is trusted before the chain is asked again. */
    closerTtlMs: z
      .int()
      .min(0)
      .default(10 * 60_000),
    ownerKeys: z
      .unknown()
      .refine(
        () => false,
        "settlement.ownerKeys is gone: the gateway holds closer keys, never an owner's payout key. " +
          'Make a key for the gateway, let each owner authorise its account with setCloser, and list it in settlement.closerKeys',
      )
      .optional(),
  })
  .strict()
  .refine((c) => !c.enabled || c.wif || c.wifEnv, 'settlement needs wif or wifEnv');

export type SettlementConfig = z.infer<typeof settlementConfigSchema>;

const wifOf = (k: { wif?: string; wifEnv?: string }, env: NodeJS.ProcessEnv): string | undefined => k.wif ?? (k.wifEnv ? env[k.wifEnv] : undefined);

export function settlementWif(c: SettlementConfig, env: NodeJS.ProcessEnv = process.env): string {
  const wif = wifOf(c, env);
  if (!wif) throw new Error(`settlement: no wallet key (set ${c.wifEnv ?? 'settlement.wif'})`);
  return wif;
}

/** The closers' WIFs; a named environment variable that is unset is an error at start, not a silent "no close". */
export function closerWifs(c: SettlementConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  return c.closerKeys.map((k) => {
    const wif = wifOf(k, env);
    if (!wif) throw new Error(`settlement.closerKeys: ${k.wifEnv} is not set`);
    return wif;
  });
}
