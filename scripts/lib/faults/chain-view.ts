import { z } from 'zod';
import type { System } from '../system/index.js';
import * as tb from '../testbed/index.js';
import { REPO_ROOT } from '../testbed/paths.js';

const big = z
  .string()
  .regex(/^-?[0-9]+$/)
  .transform((s) => BigInt(s));
const balances = z.record(z.string(), big);
const channel = z.object({ id: big, guest: z.string(), owner: z.string(), deposit: big, redeemed: big, expiry: big, closed: z.boolean() }).passthrough();
const event = z.object({ name: z.string(), params: z.record(z.string(), z.union([z.string(), z.boolean()])) });

const auditSchema = z.object({
  balances,
  roundHead: z.object({ round: big, root: z.string() }),
  channels: z.array(channel.nullable()),
  txs: z.array(z.object({ txid: z.string(), vmstate: z.string(), events: z.array(event) })),
});
const refundSchema = z.object({
  refunds: z.array(z.object({ channelId: big, txid: z.string(), vmstate: z.string(), exception: z.string().nullable(), refunded: big.nullable() })),
});

export type Audit = z.infer<typeof auditSchema>;
export type Refunds = z.infer<typeof refundSchema>['refunds'];

/** chain-audit.js in the upstream namespace, where the chain's RPC is. */
async function ask<T>(sys: System, body: object, schema: z.ZodType<T>, wif?: string, timeoutMs = 120_000): Promise<T> {
  const r = await tb.exec(sys.id, 'upstream', ['node', 'dist/scripts/lib/faults/chain-audit.js', ...sys.chainArgs], {
    input: JSON.stringify(body),
    cwd: REPO_ROOT,
    timeoutMs,
    env: { NODE_OPTIONS: '', ...(wif ? { QLINK_WIF: wif } : {}) },
  });
  if (r.code !== 0) throw new Error(`chain-audit ${JSON.stringify(body).slice(0, 80)}: ${r.stderr.trim().slice(-600)}`);
  return schema.parse(JSON.parse(r.stdout));
}

export async function chainBalances(sys: System, addresses: string[]): Promise<Map<string, bigint>> {
  const r = await ask(sys, { op: 'balances', addresses }, z.object({ balances }));
  return new Map(Object.entries(r.balances));
}

export function chainAudit(sys: System, q: { addresses: string[]; anchorer: string; channels: number[]; txids: string[] }): Promise<Audit> {
  return ask(sys, { op: 'audit', ...q }, auditSchema);
}

/** Refunds every channel once the chain says its expiry plus the settlement window has passed; `payer` sends (and pays the fees). */
export async function chainRefunds(sys: System, channels: number[], payer: string, timeoutMs: number): Promise<Refunds> {
  return (await ask(sys, { op: 'refund', channels, timeoutMs }, refundSchema, sys.wif(payer), timeoutMs + 60_000)).refunds;
}
