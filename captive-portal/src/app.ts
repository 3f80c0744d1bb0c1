import { renderSVG } from 'uqr';
import { ApiError, call, type CloseReport, type GuestState, type PayRequest, type Relayed } from './api.js';
import { TEXT, type Key, type Lang } from './i18n.js';
import { newKey, publicKey, signVoucher, voucherMessage } from './signer.js';

interface Plan { id: string; name: string; pricePerMb: number; pricePerMinute: number; minutes: number | null; quotaBytes: number | null }
interface Data { lang: Lang; view: string; name: string; terms: string | null; logo: boolean; plans: Plan[]; paying: boolean; relay: boolean; deposit: number; creditWindow: number }
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

/**
 * A signed transaction pasted here goes to the chain through the hotspot
 * (agent → gateway → chain), for wallets that cannot reach the network; then
 * `then` runs with the confirmed result. One box per view, kept across the
 * status view's re-renders so a half-pasted text survives them.
 */
function relayBox(id: string, then: (r: Relayed) => Promise<void>): HTMLElement {
  const area = el('textarea', { id: `${id}-tx`, rows: '4', autocomplete: 'off', spellcheck: 'false' });
  const note = el('p', { class: 'small', id: `${id}-status`, role: 'status' });
  return el('details', { id }, el('summary', {}, t('pasteTx')), el('label', {}, t('signedTx'), area), note,
    button(t('send'), async () => {
      const tx = area.value.trim();
      if (!tx) return;
      note.textContent = t('sending');
      const r = await call<Relayed>('POST', '/api/relay', { tx });
      note.textContent = r.state === 'unconfirmed' ? `${t('notInBlock')} ${r.txid}` : r.txid;
      if (r.state === 'confirmed') await then(r);
    }, `${id}-send`));
}

async function choose(plan: string): Promise<void> {
  const key = store.key ?? newKey();
  store.key = key;
  const req = await call<PayRequest>('POST', '/api/pay', { plan, voucherKey: publicKey(key) });
  const held = store.channel;
  // A channel this browser still holds the key for: the same router after a reload, or another of the owner's (roaming).
  if (held?.channelId && held.network === req.network && held.contract.toLowerCase() === req.contract.toLowerCase()) {
    show(el('p', { class: 'wait' }, t('resuming')));
    try {
      return await firstVoucher(held.channelId, false);
    } catch { /* closed, expired or another owner's: pay anew below */ }
  }
  store.channel = { network: req.network, contract: req.contract, to: req.to, deposit: req.amount };
  const input = el('input', { id: 'channel-id', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' });
  const qr = el('div', { class: 'qr', 'aria-hidden': 'true' });
  qr.innerHTML = renderSVG(req.uri, { border: 2 });
  show(el('h2', {}, t('pay')), el('p', {}, `${t('deposit')}: ${gas(req.amount)}`), qr,
    el('p', {}, el('a', { href: req.uri, id: 'wallet-link', class: 'button' }, t('openWallet'))),
    el('p', { class: 'small' }, t('payHint')),
    el('pre', { id: 'pay-request', class: 'small' }, JSON.stringify(req)),
    el('label', {}, t('channel'), input), button(t('paid'), () => firstVoucher(input.value.trim()), 'paid'),
    data.relay ? relayBox('relay', async (r) => { if (r.channelId) await firstVoucher(r.channelId); }) : '');
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

async function firstVoucher(channelId: string, waitForBlock = true): Promise<void> {
  const c = store.channel;
  if (!c || !/^[0-9]{1,19}$/.test(channelId)) return;
  store.channel = { ...c, channelId };
  show(el('p', { class: 'wait' }, t('waiting')));
  let amount = BigInt(data.creditWindow);
  for (let i = 0; ; i++) {
    try {
      await voucher(amount);
      break;
    } catch (e) {
      const m = e instanceof ApiError ? e.minimum : undefined;
      // The channel already paid for service (at another of the owner's routers, or here before): sign a window above that.
      if (m !== undefined && amount < BigInt(m) && i < 3) {
        amount = BigInt(m) - 1n + BigInt(data.creditWindow);
        continue;
      }
      // The channel may still be in the mempool: ask again for a while.
      if (!waitForBlock || !/unknown-channel|unconfirmed-channel/.test((e as Error).message) || i > 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // A full page load once online: the iOS sheet re-probes and turns "Cancel" into "Done" only then.
  location.replace('/status');
}

/** The status poll; stopped while logging out, so a poll answered late cannot paint the status view over the log-out report. */
let poller: ReturnType<typeof setInterval> | undefined;
let leaving = false;

function startPolling(): void {
  poller ??= setInterval(() => void status().catch(() => {}), 3000);
}

async function status(): Promise<void> {
  const s = await call<GuestState>('GET', '/api/state');
  if (leaving) return;
  const credit = BigInt(s.credit), windowSize = BigInt(s.creditWindow);
  // Sign ahead of use: keep about a credit window paid beyond what was metered.
  // A voucher must cover what was metered: once the cost reached the deposit only a top up helps.
  if (s.channelId && store.channel?.channelId === s.channelId && store.key && (s.online || s.endReason === 'credit') && credit * 2n < windowSize
    && BigInt(s.cost) < BigInt(s.deposit ?? store.channel.deposit) && BigInt(s.paid) < BigInt(s.deposit ?? store.channel.deposit)) {
    try {
      const signed = await voucher(BigInt(s.cost) + windowSize, s.deposit);
      if (!leaving) render({ ...signed, deposit: s.deposit });
      return;
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
    needTopup ? el('div', { id: 'topup' }, el('p', { class: 'warn' }, t('topupHint')), el('p', {}, el('a', { href: topupUri, class: 'button', id: 'topup-link' }, t('topup'))),
      data.relay ? (topupBox ??= relayBox('topup-relay', () => status())) : '') : '',
    s.online ? button(t('logout'), logout, 'logout') : el('p', {}, el('a', { href: '/', class: 'button' }, t('plans'))),
  );
}

let topupBox: HTMLElement | undefined;

async function logout(): Promise<void> {
  leaving = true;
  clearInterval(poller);
  poller = undefined;
  let s: GuestState & { close?: CloseReport | null };
  try {
    s = await call<GuestState & { close?: CloseReport | null }>('POST', '/api/logout', {});
  } catch (e) {
    leaving = false;
    startPolling();
    throw e;
  }
  store.key = null;
  store.channel = null;
  show(el('h2', { id: 'state' }, t('held')), el('p', { id: 'spent' }, `${t('loggedOut')} ${gas(s.cost)}.`), ...refund(s.close ?? null),
    el('p', {}, el('a', { href: '/' }, t('plans'))));
}

/** What comes back of the deposit, and when: at once when the hotspot closed the channel, else after its expiry. */
function refund(c: CloseReport | null): HTMLElement[] {
  if (!c) return [];
  if (c.state === 'closed') {
    return [el('p', { id: 'refund' }, `${gas(c.refunded)} ${t('refundNow')}`), el('p', { id: 'charged', class: 'small' }, `${t('paidOnChain')}: ${gas(c.charged)}`)];
  }
  const rest = c.refund === null ? t('restOfDeposit') : `${t('restOfDeposit')} (${gas(c.refund)})`;
  if (c.state === 'pending') return [el('p', { id: 'refund' }, `${rest} ${t('refundSoon')}`), el('p', { class: 'small' }, c.txid)];
  const when = c.refundAfter === null ? '' : new Date(c.refundAfter).toLocaleString(data.lang === 'zh' ? 'zh-CN' : 'en');
  return [el('p', { id: 'refund' }, `${rest} ${t('refundLater')} ${when} ${t('refundLaterHow')}`)];
}

header();
if (data.view === 'status' || data.view === 'topup' || data.view === 'logout') {
  status().catch(fail);
  startPolling();
} else plans();
