import { wallet } from '@cityofzion/neon-js';
import type { z } from 'zod';
import type { JsonRpc } from '../../../../chain/src/json-rpc.js';
import type { Deployment, ownerPageQuery } from '../../../../protocol/src/index.js';
import type { StatusBook } from '../../ingest/status.js';
import type { ApiStores } from '../routes.js';
import { ProofBuilder } from '../proof.js';
import { ChainAuditor, type AuditOptions } from './chain-audit.js';
import { escapeHtml } from './html.js';
import { ownerView } from './model.js';
import { renderOwnerPage } from './page.js';
import { RoundChecker } from './round-check.js';
import { PAGE_HEADERS, STYLE } from './style.js';
import { TxBlocks, type BlockLookup } from './tx-blocks.js';
import type { Access } from '../sessions.js';

/** How long a rendered view is served again: the page polls no faster than a person reads. */
const CACHE_MS = 5_000;

export interface OwnerPageDeps {
  stores: Pick<ApiStores, 'owner' | 'routers' | 'reports' | 'sponsor' | 'proofs'>;
  statuses: StatusBook;
  /** Network and contract the batches were signed for: their hashes cannot be checked without it. */
  deployment: Deployment;
  /** Where settlement transactions' blocks come from; without it the page leaves blocks blank. */
  blockOf?: BlockLookup;
  /** Standard JSON-RPC to the chain: each router's newest anchored round is checked with a sample proof. */
  chainRpc?: JsonRpc;
  /** This gateway's settlement wallet (NEO address), pinned as the anchorer of the proofs it checks. */
  anchorer?: string;
  clock?: () => number;
  audit?: AuditOptions;
}

export interface PageReply {
  status: number;
  html: string;
  headers: Record<string, string>;
}

/** A page that says what was wrong: the answer of the HTML endpoints to a bad request. */
export const errorPage = (status: number, message: string): PageReply => ({
  status,
  headers: PAGE_HEADERS,
  html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qlink</title><style>${STYLE}</style></head><body><main><h1>This page cannot be shown</h1><p class="bad">${escapeHtml(message)}</p>
<p><a href="./owner">All hotspots</a></p></main></body></html>`,
});

/** GET / and /owner: the owner's page, for one owner (?owner=N…) or the fleet; ?days=14 or 30 (1–90). */
export function ownerPage(d: OwnerPageDeps): (q: z.output<typeof ownerPageQuery>, access: Access) => Promise<PageReply> {
  const src = {
    stores: d.stores,
    statuses: d.statuses,
    clock: d.clock ?? Date.now,
    auditor: new ChainAuditor(d.stores.owner, d.deployment, d.audit),
    blocks: d.blockOf ? new TxBlocks(d.blockOf) : null,
    rounds: d.chainRpc ? new RoundChecker(new ProofBuilder(d.stores.proofs, d.deployment), d.stores.owner, d.chainRpc, d.deployment, d.anchorer) : null,
  };
  const cache = new Map<string, { at: number; reply: PageReply }>();
  return async (q, access) => {
    // An owner sees their own hotspots only; the operator sees one owner's (?owner=) or the fleet.
    if (access.kind === 'owner' && q.owner && q.owner !== access.address) return errorPage(403, 'You are logged in as another owner.');
    const address = access.kind === 'owner' ? access.address : q.owner;
    const owner = address ? { address, hash: '0x' + wallet.getScriptHashFromAddress(address) } : undefined;
    // Re-verifying every stored batch on each request is the expensive part: a view is kept for a few seconds.
    const key = `${address ?? '*'}:${q.days}`;
    const now = src.clock();
    const hit = cache.get(key);
    if (hit && now - hit.at < CACHE_MS) return hit.reply;
    const view = await ownerView(src, { owner, days: q.days });
    const reply = { status: 200, headers: PAGE_HEADERS, html: renderOwnerPage(view) };
    if (cache.size > 1000) cache.clear();
    cache.set(key, { at: now, reply });
    return reply;
  };
}
