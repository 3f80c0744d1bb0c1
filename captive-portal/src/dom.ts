import { fill, TEXT, type Key, type Lang } from './i18n.js';

/** chainId and version: the owner's plan on chain and the version of its terms the page lists (absent while paying is off). */
export interface Plan {
  id: string;
  name: string;
  pricePerMb: number;
  pricePerMinute: number;
  minutes: number | null;
  quotaBytes: number | null;
  chainId?: number;
  version?: number;
}
export interface Data {
  lang: Lang;
  view: string;
  name: string;
  terms: string | null;
  logo: boolean;
  plans: Plan[];
  paying: boolean;
  relay: boolean;
  deposit: number;
  creditWindow: number;
  network: number | null;
  contract: string | null;
  router: string;
  shortUrl: string;
  walletTimeoutMs: number;
}

export const data = JSON.parse(document.getElementById('qlink-data')?.textContent ?? '{}') as Data;
export const t = (k: Key, v?: Record<string, string>): string => (v ? fill(TEXT[data.lang][k], v) : TEXT[data.lang][k]);
export const main = document.querySelector('main')!;

export const gas = (units: string | number | bigint): string => (Number(units) / 1e8).toFixed(8).replace(/\.?0+$/, '') + ' GAS';
export const when = (ms: number): string => new Date(ms).toLocaleString(data.lang === 'zh' ? 'zh-CN' : 'en', { dateStyle: 'medium', timeStyle: 'short' });
export const NETWORKS: Record<number, string> = { 860833102: 'N3 MainNet', 894710606: 'N3 TestNet' };
export const networkName = (m: number | null): string => (m === null ? '?' : `${NETWORKS[m] ?? 'a private network'} (${m})`);

export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Array<Node | string>) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
};
export const show = (...nodes: Array<Node | string>) => main.replaceChildren(...nodes);
export const home = () => el('p', {}, el('a', { href: '/' }, t('plans')));
/** A message in plain words, and the way back to the plans. */
export const fail = (e: unknown) => show(el('p', { class: 'error', role: 'alert', id: 'error' }, (e as Error).message), home());

export function button(label: string, onClick: () => unknown, id?: string, cls?: string): HTMLButtonElement {
  const b = el('button', { ...(id ? { id } : {}), ...(cls ? { class: cls } : {}) }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    Promise.resolve(onClick())
      .catch(fail)
      .finally(() => {
        b.disabled = false;
      });
  });
  return b;
}
