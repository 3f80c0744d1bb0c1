import { wallet } from '@cityofzion/neon-js';
import { z } from 'zod';
import type { Deployment } from '../../../../agent/src/usage/format.js';
import type { StatusBook } from '../../ingest/status.js';
import type { GatewayStore } from '../../store/store.js';
import { HttpError, parseQuery } from '../query.js';
import { ChainAuditor, type AuditOptions } from './chain-audit.js';
import { escapeHtml } from './html.js';
import { ownerView } from './model.js';
import { renderOwnerPage } from './page.js';
import { PAGE_HEADERS, STYLE } from './style.js';
import { TxBlocks, type BlockLookup } from './tx-blocks.js';

const ADDRESS_VERSION = 0x35;

export const ownerPageQuery = z.object({
  owner: z.string().regex(/^N[1-9A-HJ-NP-Za-km-z]{33}$/, 'a NEO N3 address (N…, 34 characters)')
    .refine((a) => wallet.isAddress(a, ADDRESS_VERSION), 'not a NEO N3 address (its checksum does not match)').optional(),
  days: z.coerce.number().int().min(1).max(90).default(30),
}).strict();

export interface OwnerPageDeps {
  store: GatewayStore;
  statuses: StatusBook;
  /** Network and contract the batches were signed for: their hashes cannot be checked without it. */
  deployment: Deployment;
  /** Where settlement transactions' blocks come from; without it the page leaves blocks blank. */
  blockOf?: BlockLookup;
  clock?: () => number;
  audit?: AuditOptions;
}

export interface PageReply { status: number; html: string; headers: Record<string, string> }

const errorPage = (status: number, message: string): PageReply => ({
  status, headers: PAGE_HEADERS,
  html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qlink</title><style>${STYLE}</style></head><body><main><h1>This page cannot be shown</h1><p class="bad">${escapeHtml(message)}</p>
<p><a href="./owner">All hotspots</a></p></main></body></html>`,
});

/** GET / and /owner: the owner's page, for one owner (?owner=N…) or the fleet; ?days=14 or 30 (1–90). */
export function ownerPage(d: OwnerPageDeps): (q: URLSearchParams) => Promise<PageReply> {
  const src = {
    store: d.store, statuses: d.statuses, clock: d.clock ?? Date.now,
    auditor: new ChainAuditor(d.store, d.deployment, d.audit), blocks: d.blockOf ? new TxBlocks(d.blockOf) : null,
  };
  return async (params) => {
    let q: z.infer<typeof ownerPageQuery>;
    try {
      q = parseQuery(ownerPageQuery, params);
    } catch (e) {
      if (e instanceof HttpError) return errorPage(e.status, e.message);
      throw e;
    }
    const owner = q.owner ? { address: q.owner, hash: '0x' + wallet.getScriptHashFromAddress(q.owner) } : undefined;
    const view = await ownerView(src, { owner, days: q.days });
    return { status: 200, headers: PAGE_HEADERS, html: renderOwnerPage(view) };
  };
}
