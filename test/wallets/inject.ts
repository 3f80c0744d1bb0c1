import type { BrowserContext } from 'playwright-core';
import { jsonRpc, Prompts, type Policy, type Prompt } from './core.js';
import { NeoLineDouble, type NeoLineNetwork } from './neoline.js';
import { Nep21Double } from './nep21.js';

/**
 * Puts a wallet test double into every page of a browser context, the way
 * the real wallet puts itself there, with its background in this process
 * (a playwright binding stands for NeoLine's postMessage → content script →
 * service worker path, and for OneGate's native bridge): so, like the real
 * ones, the double's requests are outside the page's CSP, and its RPC goes
 * to the wallet's own node.
 *
 * - 'neoline': at document idle and a moment after (NeoLine's content script
 *   appends its dapi scripts, NeoNEXT/neoline extension/neoline/neo3.ts),
 *   window.NEOLineN3 = { Init, N3 } (extension/dapi/neo3.ts), then
 *   NEOLine.N3.EVENT.READY with the provider info, and NeoLine's NEP-21
 *   provider announced with Neo.DapiProvider.ready, again on each
 *   Neo.DapiProvider.request (extension/dapi/neo3-v2.ts:495-528).
 * - 'nep21': NeoLine's NEP-21 provider alone, announced the same way.
 * - 'onegate': at document start, before any page script, a frozen
 *   window.OneGateDapiProvider and one Neo.DapiProvider.ready, again on each
 *   request (OneGateApp/Pages/LaunchDAppPage.xaml.cs CreateDapiInjectionScript).
 */
export type Kind = 'neoline' | 'nep21' | 'onegate';

export interface WalletSpec {
  kind: Kind;
  wif: string;
  network: NeoLineNetwork;
  /** Where the wallet's RPC goes: a URL, or a Unix socket bridged into the guest's namespace. */
  rpc: { url: string } | { socket: string };
  policy?: Policy;
  onPrompt?: (p: Prompt) => Promise<void> | void;
  /** NeoLine's scripts arrive 1.3–2 s after navigation on a quiet machine (measured); default 1,500 ms. */
  delayMs?: number;
}

const PAGE_SCRIPT = (kind: Kind, props: Record<string, unknown>, delayMs: number) => `(() => {
  const bridge = (method, params) => window.__qlinkWallet(method, params).then((r) => { if (r && 'err' in r) throw r.err; return r.ok; });
  const n3 = (m) => (p) => bridge('n3:' + m, p === undefined ? {} : p);
  const nep21 = (m) => (...a) => bridge('nep21:' + m, a);
  const listeners = { accountchanged: new Set(), networkchanged: new Set() };
  const provider = Object.assign(${JSON.stringify(props)}, {
    on(e, f) { if (listeners[e]) listeners[e].add(f); }, removeListener(e, f) { if (listeners[e]) listeners[e].delete(f); },
    getAccounts: nep21('getAccounts'), sign: nep21('sign'), invoke: nep21('invoke'), makeTransaction: nep21('makeTransaction'),
    signMessage: nep21('signMessage'), relay: nep21('relay'), getBlockCount: nep21('getBlockCount'),
  });
  const announce = () => dispatchEvent(new CustomEvent('Neo.DapiProvider.ready', { detail: Object.freeze({ provider }) }));
  if (${JSON.stringify(kind)} === 'onegate') {
    window.OneGateDapiProvider = Object.freeze(provider);
    announce();
    addEventListener('Neo.DapiProvider.request', announce);
    return;
  }
  const install = () => {
    if (${JSON.stringify(kind)} === 'neoline') {
      class Init {
        constructor() { this.EVENT = { READY: 'NEOLine.N3.EVENT.READY' }; }
        addEventListener(e, cb) { if (e === this.EVENT.READY) this.getProvider().then(cb); }
      }
      for (const m of ['getProvider', 'getNetworks', 'getAccount', 'getPublicKey', 'signTransaction', 'invoke', 'invokeMultiple', 'signMessage']) Init.prototype[m] = n3(m);
      window.NEOLineN3 = { Init, N3: new Init() };
      bridge('n3:getProvider', {}).then((p) => dispatchEvent(new CustomEvent('NEOLine.N3.EVENT.READY', { detail: p })));
    }
    addEventListener('Neo.DapiProvider.request', announce);
    announce();
  };
  const later = () => setTimeout(install, ${delayMs});
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', later); else later();
})();`;

export interface InstalledWallet {
  kind: Kind;
  prompts: Prompts;
  address: string;
  scriptHash: string;
}

export async function installWallet(context: BrowserContext, spec: WalletSpec): Promise<InstalledWallet> {
  const prompts = new Prompts(spec.policy, spec.onPrompt);
  const rpc = jsonRpc(spec.rpc);
  const legacy = new NeoLineDouble({ wif: spec.wif, network: spec.network, rpc, prompts });
  const nep21 = new Nep21Double({ flavor: spec.kind === 'onegate' ? 'onegate' : 'neoline', wif: spec.wif, network: spec.network, rpc, prompts, legacy });
  await context.exposeBinding('__qlinkWallet', async ({ frame }, method: string, params: unknown) => {
    const hostname = new URL(frame.url()).hostname;
    try {
      const [side, name] = method.split(':') as ['n3' | 'nep21', string];
      if (side === 'n3' && spec.kind !== 'neoline') throw { type: 'NO_PROVIDER', description: 'no legacy dAPI in this wallet', data: null };
      const ok =
        side === 'n3' ? await legacy.handle(name, params as Record<string, unknown>, hostname) : await nep21.handle(name, params as unknown[], hostname);
      return { ok };
    } catch (e) {
      return { err: e instanceof Error ? { type: 'UNKNOWN', code: 10000, message: e.message, description: e.message, data: null } : e };
    }
  });
  await context.addInitScript({ content: PAGE_SCRIPT(spec.kind, nep21.properties, spec.delayMs ?? 1_500) });
  return { kind: spec.kind, prompts, address: legacy.account.address, scriptHash: '0x' + legacy.account.scriptHash };
}
