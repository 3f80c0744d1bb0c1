import { z } from 'zod';

/**
 * The hotspot pays its guests' network fees (issue 18): the gateway builds
 * each channel opening with its sponsor account as the first signer, which
 * pays the fees on N3. The operator bounds what that can cost.
 */
export const sponsorConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The sponsor's WIF, or the environment variable that holds it (so it stays out of the file). */
    wif: z.string().min(50).optional(),
    wifEnv: z.string().min(1).optional(),
    /** Transactions the hotspot pays for one guest account in a UTC day (opens and rekeys). */
    perGuestPerDay: z.int().min(0).max(1_000).default(3),
    /** No sponsoring below this deposit (GAS smallest unit; default 0.1 GAS): a fee of about 0.3 GAS for a tiny channel is not worth it. */
    minDeposit: z.int().min(0).default(10_000_000),
    /** GAS (smallest unit) the gateway may spend on fees for one owner's routers in a UTC day (default 5 GAS). */
    ownerDailyBudget: z.int().min(0).default(500_000_000),
    /** Only these owners' routers are sponsored (0x script hashes); absent: every owner's. */
    owners: z
      .array(z.string().regex(/^0x[0-9a-fA-F]{40}$/))
      .max(10_000)
      .optional(),
    /** How long an offer stays signable: the guest has this many blocks to confirm in the wallet. */
    validForBlocks: z.int().min(5).max(5_760).default(240),
    /** Added to the test run's GAS, per mille (default 10 = 1 %, what NeoLine adds): the block may meet a slightly different state (a longer channel id). */
    systemFeeMarginPermille: z.int().min(0).max(500).default(10),
  })
  .strict()
  .refine((c) => !c.enabled || c.wif || c.wifEnv, 'sponsor needs wif or wifEnv');

export type SponsorConfig = z.infer<typeof sponsorConfigSchema>;

/** The channel index: which open channels a guest account holds, read by following the chain. */
export const indexConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The first block to read: the contract's deployment (on MainNet, read from its deploy transaction), 0 on a private chain. */
    fromBlock: z.int().min(0).default(0),
    pollMs: z.int().min(100).max(60_000).default(1_000),
  })
  .strict();

export type IndexConfig = z.infer<typeof indexConfigSchema>;

export function sponsorWif(c: SponsorConfig, env: NodeJS.ProcessEnv = process.env): string {
  const wif = c.wif ?? (c.wifEnv ? env[c.wifEnv] : undefined);
  if (!wif) throw new Error(`sponsor: no key (set ${c.wifEnv ?? 'sponsor.wif'})`);
  return wif;
}

/** The UTC day a fee counts for. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
