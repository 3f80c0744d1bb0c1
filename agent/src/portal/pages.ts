import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortalConfig } from './config.js';
import type { Plan } from '../plans.js';

/** Built by captive-portal/build.mjs into dist/captive-portal: one self-contained page, script and style inline. */
const BUILT = join(dirname(fileURLToPath(import.meta.url)), '../../../captive-portal');
const FALLBACK = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Guest Wi-Fi</title></head><body><h1>Guest Wi-Fi</h1><p>The portal pages are not built (captive-portal/build.mjs).</p><!--QLINK-CONFIG--></body></html>`;

export type Lang = 'en' | 'zh';

export interface Page {
  html: string;
  csp: string;
}

export interface PageData {
  lang: Lang;
  view: string;
  name: string;
  terms: string | null;
  logo: boolean;
  /** The owner's plans on chain (chainId, version), or the UCI plans when paying is off. */
  plans: Array<{
    id: string;
    name: string;
    pricePerMb: number;
    pricePerMinute: number;
    minutes: number | null;
    quotaBytes: number | null;
    down: number | null;
    up: number | null;
    chainId?: number;
    version?: number;
  }>;
  paying: boolean;
  /** The page may take a signed transaction and have the router send it. */
  relay: boolean;
  deposit: number;
  creditWindow: number;
  secure: boolean;
  /** The network magic payments are taken on, for the page's check of the guest's wallet; null when paying is off. */
  network: number | null;
  contract: string | null;
  /** This router's public key: what the page's session actions and the channel's data name. */
  router: string;
  /** The portal's short address (its host name, which the router's DNS answers), for a guest to open in a wallet's browser. */
  shortUrl: string;
  /** How long the page waits for one answer of the wallet. */
  walletTimeoutMs: number;
}

export function loadPage(dir = BUILT): Page {
  const html = join(dir, 'portal.html');
  if (!existsSync(html)) return { html: FALLBACK, csp: "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'" };
  const meta = JSON.parse(readFileSync(join(dir, 'portal.meta.json'), 'utf8')) as { scriptHash: string; styleHash: string };
  // Inline script and style by hash only: nothing external, nothing injected runs. connect-src 'self' is the agent's API.
  const csp = [
    "default-src 'none'",
    `script-src '${meta.scriptHash}'`,
    `style-src '${meta.styleHash}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html: readFileSync(html, 'utf8'), csp };
}

/** English unless the client prefers Chinese; ?lang= (the page's switch) wins. */
export function chooseLang(acceptLanguage: string | undefined, override: string | null): Lang {
  if (override === 'en' || override === 'zh') return override;
  const prefs = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      return { tag, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((p) => p.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const p of prefs) {
    if (p.tag.startsWith('zh')) return 'zh';
    if (p.tag.startsWith('en')) return 'en';
  }
  return 'en';
}

export const localize = (v: PortalConfig['name'] | undefined, lang: Lang): string | null =>
  v === undefined ? null : typeof v === 'string' ? v : lang === 'zh' ? (v.zh ?? v.en) : v.en;

export const planView = (p: Plan) => ({
  id: p.id,
  name: p.name,
  pricePerMb: p.pricePerMb,
  pricePerMinute: p.pricePerMinute,
  minutes: p.minutes ?? null,
  quotaBytes: p.quotaBytes ?? null,
  down: p.down ?? null,
  up: p.up ?? null,
});

/** The page with its data: JSON in a non-executable script element, '<' escaped so no value can close it. */
export function renderPage(page: Page, data: PageData): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return page.html
    .replace('<html lang="en">', `<html lang="${data.lang === 'zh' ? 'zh-CN' : 'en'}">`)
    .replace('<!--QLINK-CONFIG-->', `<script type="application/json" id="qlink-data">${json}</script>`);
}
