import { z } from 'zod';

/**
 * Transactions as the guests' wallets take and give them back (read from
 * their sources; /work notes cite them in docs/portal.md "Wallets"):
 *
 * - NeoLine's `signTransaction({ transaction, magicNumber })` takes and
 *   returns neon-js `Transaction.export()`: fees as integer strings, hex
 *   script, signer accounts as big-endian hex without 0x, scopes as numbers.
 * - NEP-21's `sign(context)` takes and returns a ContractParametersContext:
 *   the unsigned bytes in base64 and one item per signer (NeoLine keys them
 *   by script hash without 0x, lower case).
 * - `invoke` takes arguments as `{ type, value }`, ByteArray in base64.
 *
 * The page passes these between the wallet and the router untouched; only
 * the gateway, which built the transaction, reads them (with neon-js).
 */

const hexText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^(0x)?([0-9a-fA-F]{2})*$/, 'hex');
const b64Text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const amountText = z.union([z.string().regex(/^[0-9]{1,19}$/), z.int().min(0)]);

export const txExportSchema = z
  .object({
    version: z.int().min(0).max(255),
    nonce: z.int().min(0).max(0xffff_ffff),
    systemFee: amountText,
    networkFee: amountText,
    validUntilBlock: z.int().min(0).max(0xffff_ffff),
    attributes: z.array(z.unknown()).max(16),
    signers: z
      .array(z.object({ account: hexText(42), scopes: z.union([z.int(), z.string().max(200)]) }).passthrough())
      .min(1)
      .max(16),
    witnesses: z.array(z.object({ invocationScript: hexText(2_048), verificationScript: hexText(2_048) }).strict()).max(16),
    script: hexText(16_384),
  })
  .passthrough();
export type TxExport = z.infer<typeof txExportSchema>;

export const txContextSchema = z
  .object({
    type: z.literal('Neo.Network.P2P.Payloads.Transaction'),
    hash: hexText(66),
    data: b64Text(24_000),
    items: z.record(
      z.string().max(42),
      z
        .object({
          script: b64Text(2_048).optional(),
          parameters: z
            .array(z.object({ type: z.string().max(32), value: z.string().max(200).optional() }).passthrough())
            .max(16)
            .optional(),
          signatures: z.record(z.string().max(66), b64Text(200)).optional(),
        })
        .passthrough(),
    ),
    network: z.int().min(0).max(0xffff_ffff),
  })
  .passthrough();
export type TxContext = z.infer<typeof txContextSchema>;

/** A contract argument as the wallets' invoke takes it. */
export type WalletArg = { type: 'Hash160' | 'Integer' | 'ByteArray' | 'String'; value: string } | { type: 'Array'; value: WalletArg[] };

/** The sponsored opening, built and test-run by the gateway, for the guest's wallet to sign as second signer. */
export interface SponsoredOffer {
  /** The transaction's id (the same before and after signing): what the page sends back with the guest's signature. */
  txid: string;
  transaction: TxExport;
  context: TxContext;
  /** The network magic the wallet signs for (NeoLine needs it passed: without it nothing comes back). */
  magicNumber: number;
  /** The account that pays the fees (the first signer), as an address. */
  sponsor: string;
  /** systemFee + networkFee, in the token's smallest unit: what the sponsor pays. */
  fee: string;
  validUntilBlock: number;
}

/**
 * The same opening for the wallet's own `invoke`, the guest paying the fees:
 * the wallet is told the system fee (NeoLine `overrideSystemFee`, NEP-21
 * `suggestedSystemFee`), no priority fee (NeoLine `fee: '0'`) and the block
 * to stay valid until, so its network fee is what the gateway computed for
 * the same bytes: `fee` is what the guest pays beyond the deposit, to the unit.
 */
export interface InvokeOffer {
  scriptHash: string;
  operation: 'transfer';
  args: WalletArg[];
  /** NeoLine's `abortOnFail` (NEP-21 invocations take it too): a transfer that returns false faults instead of passing. */
  abortOnFail: true;
  signers: Array<{ account: string; scopes: 'CalledByEntry' }>;
  validUntilBlock: number;
  systemFee: string;
  networkFee: string;
  fee: string;
}

export const walletArgSchema: z.ZodType<WalletArg> = z.lazy(() =>
  z.union([
    z.object({ type: z.enum(['Hash160', 'Integer', 'ByteArray', 'String']), value: z.string().max(2_048) }).strict(),
    z.object({ type: z.literal('Array'), value: z.array(walletArgSchema).max(16) }).strict(),
  ]),
);
