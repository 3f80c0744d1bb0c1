import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ContractReader } from '../../../../chain/src/reader.js';
import type { JsonRpc } from '../../../../chain/src/json-rpc.js';
import {
  decodePlanTerms,
  type Deployment,
  linkPlans,
  planSpecsToTerms,
  type registerQuery,
  type registerStatusReply,
  termsToPlanSpec,
  unitsToGas,
} from '../../../../protocol/src/index.js';
import { escapeHtml } from './html.js';
import { STYLE, STYLE_HASH } from './style.js';
import type { PageReply } from './route.js';

/** Built by gateway/page/build.mjs into dist/gateway-page. */
const BUILT = join(dirname(fileURLToPath(import.meta.url)), '../../../../gateway-page');

export interface RegisterDeps {
  deployment: Deployment;
  chainRpc?: JsonRpc;
  clock?: () => number;
  /** Told when a status read finds the router registered: the gateway's registry forgets that it was not. */
  onRegistered?: (router: string) => void;
}

/** The plan ids an owner's status lists: the ids the link names, and 1–16 (an owner's usual few). */
const LISTED = Array.from({ length: 16 }, (_, i) => i + 1);

/**
 * GET /register (the registration page) and GET /register/status (what it
 * follows). The router's record and the owner's plans are read from the
 * chain (public there); the gateway signs nothing and stores nothing here.
 */
export function registerRoutes(d: RegisterDeps) {
  const reader = d.chainRpc ? new ContractReader(d.chainRpc, d.deployment.contract) : null;
  const clock = d.clock ?? Date.now;
  const script = existsSync(join(BUILT, 'register.js'))
    ? {
        text: readFileSync(join(BUILT, 'register.js'), 'utf8'),
        hash: (JSON.parse(readFileSync(join(BUILT, 'register.meta.json'), 'utf8')) as { scriptHash: string }).scriptHash,
      }
    : null;

  async function status(router: string, ids: number[] = LISTED): Promise<z.input<typeof registerStatusReply>> {
    if (!reader) throw new Error('no chain RPC configured');
    const r = await reader.getRouter(router);
    const plans: z.input<typeof registerStatusReply>['plans'] = [];
    if (r) {
      const heads = await Promise.all([...new Set(ids)].map(async (id) => ({ id, head: await reader.getPlan(r.owner, id) })));
      for (const { id, head } of heads) {
        if (!head) continue;
        const t = decodePlanTerms(head.terms);
        plans.push({ id, version: head.version, name: t.name, pricePerMB: unitsToGas(t.pricePerMB), pricePerMinute: unitsToGas(t.pricePerMinute) });
      }
    }
    if (r?.active) d.onRegistered?.(router);
    return { router, registered: !!r, active: r?.active ?? false, owner: r?.owner ?? null, plans };
  }

  async function page(q: z.output<typeof registerQuery>): Promise<PageReply> {
    const plans = planSpecsToTerms(linkPlans(q.plans)).map((p) => termsToPlanSpec(p.planId, p.terms));
    const r = reader ? await reader.getRouter(q.router) : null;
    const data = {
      network: d.deployment.networkMagic,
      contract: d.deployment.contract,
      router: q.router,
      plans,
      lan: q.lan ?? null,
      claim: q.owner && q.until && q.sig ? { owner: q.owner, until: q.until, sig: q.sig } : null,
      record: r ? { owner: r.owner, active: r.active } : null,
      now: clock(),
      walletTimeoutMs: 120_000,
    };
    const json = JSON.stringify(data).replace(/</g, '\\u003c');
    const expired = data.claim && Number(data.claim.until) <= clock();
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qlink: register your hotspot</title><style>${STYLE}</style></head><body><main>
<h1>Register your hotspot</h1>
<p class="lead">Router <code class="addr" id="router">${escapeHtml(q.router)}</code></p>
<p class="lead">${
      r
        ? r.active
          ? 'This router is registered on chain. Its owner can publish or change plans here.'
          : 'This router was retired on chain.'
        : 'Connect the wallet of the account that will own this hotspot and be paid by its guests. One confirmation registers the router and publishes the plans below.'
    }</p>
${expired ? '<p class="bad">The router\'s claim in this link has expired: connect again to get a fresh one.</p>' : ''}
<h2>Plans</h2>
<table id="plans" class="cards"><thead><tr><th>Id</th><th>Name</th><th>GAS per MB</th><th>GAS per minute</th></tr></thead><tbody></tbody></table>
<p><button type="button" id="add-plan">Add a plan</button></p>
<p><button type="button" id="connect">Connect wallet</button> <span class="muted">Account:</span> <code class="addr" id="account">not connected</code></p>
<p><button type="button" id="register" disabled>${r ? 'Publish plans' : 'Register and publish'}</button></p>
<p id="state" class="muted">${script ? '' : 'The page script is not built (gateway/page/build.mjs).'}</p>
<p class="small muted">Transaction: <code class="hash" id="txid"></code></p>
<section id="done" hidden><h2>On chain</h2><p id="published"></p><p><a href="./owner">Your hotspots</a></p></section>
<script type="application/json" id="qlink-data">${json}</script>
${script ? `<script>${script.text}</script>` : ''}
</main></body></html>`;
    const csp = [
      `default-src 'none'`,
      `style-src '${STYLE_HASH}'`,
      script ? `script-src '${script.hash}'` : '',
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]
      .filter(Boolean)
      .join('; ');
    return {
      status: 200,
      html,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
    };
  }

  return { page, status };
}
