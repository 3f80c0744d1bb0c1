import { renderSVG } from 'uqr';
import { call, type GuestState, type PayRequest } from './api.js';
import { TEXT, type Key, type Lang } from './i18n.js';
import { newKey, publicKey, signVoucher, voucherMessage } from './signer.js';

interface Plan { id: string; name: string; pricePerMb: number; pricePerMinute: number; minutes: number | null; quotaBytes: number | null }
interface Data { lang: Lang; view: string; name: string; terms: string | null; logo: boolean; plans: Plan[]; paying: boolean; deposit: number; creditWindow: number }
interface Channel { network: number; contract: string; to: string; deposit: string; channelId?: string }

const data = JSON.parse(document.getElementById('qlink-data')?.textContent ?? '{}') as Data;
const t = (k: Key): string => TEXT[data.lang][k];
const main = document.querySelector('main')!;
// Kept for the session in the browser's storage; an OS sheet that forgets it costs the guest at most one credit window.
const store = {
  get key(): string | null { return localStorage.getItem('qlink.key'); },
  set key(v: string | null) { v === null ? localStorage.removeItem('qlink.key') : localStorage.setItem('qlink.key', v); },
  get channel(): Channel | null { return JSON.parse(localStorage.getItem('qlink.channel') ?? 'null') as Channel | null; },
  set channel(v: Channel | null) { localStorage.setItem('qlink.channel', JSON.stringify(v)); },
};

const gas = (units: string | number): string => (Number(units) / 1e8).toFixed(8).replace(/\.?0+$/, '') + ' GAS';
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Array<Node | string>) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
};
const show = (...nodes: Array<Node | string>) => main.replaceChildren(...nodes);
const fail = (e: unknown) => show(el('p', { class: 'error', role: 'alert' }, `${t('refused')}: ${(e as Error).message}`), el('p', {}, el('a', { href: '/' }, t('plans'))));

function header(): void {
  const h = document.querySelector('header')!;
  const other: Lang = data.lang === 'en' ? 'zh' : 'en';
  h.replaceChildren(
    ...(data.logo ? [el('img', { src: '/logo', alt: '', class: 'logo' })] : []),
    el('h1', {}, data.name),
    el('a', { href: `?lang=${other}`, class: 'lang', lang: other }, other === 'zh' ? '中文' : 'English'),
  );
  if (data.terms) document.querySelector('footer')!.replaceChildren(el('details', {}, el('summary', {}, t('terms')), el('p', {}, data.terms)));
}

function plans(): void {
  const list = data.plans.map((p) => el('li', { class: 'plan' },
    el('h2', {}, p.name),
    el('p', {}, [p.pricePerMb ? `${gas(p.pricePerMb)} ${t('perMb')}` : '', p.pricePerMinute ? `${gas(p.pricePerMinute)} ${t('perMin')}` : ''].filter(Boolean).join(' + ')),
    el('p', { class: 'small' }, [p.minutes ? `${p.minutes} ${t('minutes')}` : '', p.quotaBytes ? `${Math.round(p.quotaBytes / 1e6)} MB ${t('quota')}` : ''].filter(Boolean).join(' · ') || t('unlimited')),
    data.paying ? button(t('choose'), () => choose(p.id), `choose-${p.id}`) : ''));
  show(el('h2', {}, t('plans')), el('ul', { class: 'plans' }, ...list), data.paying ? '' : el('p', { class: 'small' }, t('noPaying')));
}

function button(label: string, onClick: () => unknown, id?: string): HTMLButtonElement {
  const b = el('button', id ? { id } : {}, label);
  b.addEventListener('click', () => { b.disabled = true; Promise.resolve(onClick()).catch(fail).finally(() => { b.disabled = false; }); });
  return b;
}

async function choose(plan: string): Promise<void> {
  const key = store.key ?? newKey();
  store.key = key;
  const req = await call<PayRequest>('POST', '/api/pay', { plan, voucherKey: publicKey(key) });
  store.channel = { network: req.network, contract: req.contract, to: req.to, deposit: req.amount };
  const input = el('input', { id: 'channel-id', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' });
  const qr = el('div', { class: 'qr', 'aria-hidden': 'true' });
  qr.innerHTML = renderSVG(req.uri, { border: 2 });
  show(el('h2', {}, t('pay')), el('p', {}, `${t('deposit')}: ${gas(req.amount)}`), qr,
    el('p', {}, el('a', { href: req.uri, id: 'wallet-link', class: 'button' }, t('openWallet'))),
    el('p', { class: 'small' }, t('payHint')),
    el('pre', { id: 'pay-request', class: 'small' }, JSON.stringify(req)),
    el('label', {}, t('channel'), input), button(t('paid'), () => firstVoucher(input.value.trim()), 'paid'));
}

async function voucher(amount: bigint, deposit?: string | null): Promise<GuestState> {
  const c = store.channel, key = store.key;
  if (!c?.channelId || !key) throw new Error(t('keyLost'));
  const id = BigInt(c.channelId);
  // Never above the deposit: the agent would refuse it, and the contract could not pay it.
  const cap = BigInt(deposit ?? c.deposit);
  const a = amount > cap ? cap : amount;
  const { signature, by } = await signVoucher(key, voucherMessage({ magic: c.network, contract: c.contract }, id, a));
  // Which signer ran, for the tests (WebCrypto in a secure context, pure JS otherwise).
  document.documentElement.dataset.signer = by;
  return call<GuestState>('POST', '/api/voucher', { channelId: c.channelId, amount: a.toString(), signature });
}

async function firstVoucher(channelId: string): Promise<void> {
  const c = store.channel;
  if (!c || !/^[0-9]{1,19}$/.test(channelId)) return;
  store.channel = { ...c, channelId };
  show(el('p', { class: 'wait' }, t('waiting')));
  // The channel may still be in the mempool: ask again for a while.
  for (let i = 0; ; i++) {
    try {
      await voucher(BigInt(data.creditWindow));
      break;
    } catch (e) {
      if (!/unknown-channel|unconfirmed-channel/.test((e as Error).message) || i > 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // A full page load once online: the iOS sheet re-probes and turns "Cancel" into "Done" only then.
  location.replace('/status');
}

async function status(): Promise<void> {
  const s = await call<GuestState>('GET', '/api/state');
  const credit = BigInt(s.credit), windowSize = BigInt(s.creditWindow);
  // Sign ahead of use: keep about a credit window paid beyond what was metered.
  // A voucher must cover what was metered: once the cost reached the deposit only a top up helps.
  if (s.channelId && store.channel?.channelId === s.channelId && store.key && (s.online || s.endReason === 'credit') && credit * 2n < windowSize
    && BigInt(s.cost) < BigInt(s.deposit ?? store.channel.deposit) && BigInt(s.paid) < BigInt(s.deposit ?? store.channel.deposit)) {
    try {
      return void render({ ...(await voucher(BigInt(s.cost) + windowSize, s.deposit)), deposit: s.deposit });
    } catch { /* shown below; the next poll tries again */ }
  }
  render(s);
}

function render(s: GuestState): void {
  const row = (k: Key, v: string, id: string) => el('tr', {}, el('th', {}, t(k)), el('td', { id }, v));
  const c = store.channel;
  // The deposit cannot cover the next half window of use: ask for a top up before (or once) the guest is held.
  const needTopup = !!c?.channelId && BigInt(s.cost) + BigInt(s.creditWindow) / 2n >= BigInt(s.deposit ?? c.deposit);
  // The top up is another NEP-17 transfer to the contract, data ["topup", channel, 0] (0 keeps the expiry).
  const topupUri = c?.channelId ? `neo:${c.to}?asset=gas&amount=${gas(c.deposit).replace(' GAS', '')}&data=${encodeURIComponent(JSON.stringify(['topup', Number(c.channelId), 0]))}` : '';
  show(
    el('h2', { id: 'state', class: s.online ? 'on' : 'off' }, s.online ? t('online') : t('held')),
    el('table', {},
      row('timeLeft', s.secondsLeft === null ? t('unlimited') : `${Math.floor(s.secondsLeft / 60)}:${String(s.secondsLeft % 60).padStart(2, '0')}`, 'time-left'),
      row('dataLeft', s.bytesLeft === null ? t('unlimited') : `${(s.bytesLeft / 1e6).toFixed(1)} MB`, 'data-left'),
      row('used', `${(s.bytesUsed / 1e6).toFixed(2)} MB`, 'used'),
      row('credit', gas(s.credit), 'credit'), row('spent', gas(s.cost), 'spent')),
    needTopup ? el('div', { id: 'topup' }, el('p', { class: 'warn' }, t('topupHint')), el('p', {}, el('a', { href: topupUri, class: 'button', id: 'topup-link' }, t('topup')))) : '',
    s.online ? button(t('logout'), logout, 'logout') : el('p', {}, el('a', { href: '/', class: 'button' }, t('plans'))),
  );
}

async function logout(): Promise<void> {
  const s = await call<GuestState>('POST', '/api/logout', {});
  store.key = null;
  store.channel = null;
  show(el('h2', { id: 'state' }, t('held')), el('p', { id: 'spent' }, `${t('loggedOut')} ${gas(s.cost)}.`), el('p', {}, el('a', { href: '/' }, t('plans'))));
}

header();
if (data.view === 'status' || data.view === 'topup' || data.view === 'logout') {
  status().catch(fail);
  setInterval(() => void status().catch(() => {}), 3000);
} else plans();
