import { sessionActionMessage } from '../../protocol/src/messages.js';
import { call, type CloseReport, type GuestState } from './api.js';
import { relayBox } from './relay.js';
import { spendBound } from './bound.js';
import { button, data, el, fail, gas, home, show, t, when } from './dom.js';
import type { Lang } from './i18n.js';
import { choose, foundWallet, useWallet, voucher } from './pay.js';
import { sign } from './signer.js';
import { store } from './store.js';
import { detectWallet } from './wallets/detect.js';

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
  const list = data.plans.map((p) =>
    el(
      'li',
      { class: 'plan' },
      el('h2', {}, p.name),
      el(
        'p',
        {},
        [p.pricePerMb ? `${gas(p.pricePerMb)} ${t('perMb')}` : '', p.pricePerMinute ? `${gas(p.pricePerMinute)} ${t('perMin')}` : '']
          .filter(Boolean)
          .join(' + '),
      ),
      el(
        'p',
        { class: 'small' },
        [p.minutes ? `${p.minutes} ${t('minutes')}` : '', p.quotaBytes ? `${Math.round(p.quotaBytes / 1e6)} MB ${t('quota')}` : '']
          .filter(Boolean)
          .join(' · ') || t('unlimited'),
      ),
      p.version === undefined ? '' : el('p', { class: 'small', id: `version-${p.id}` }, `v${p.version}`),
      data.paying ? button(t('choose'), () => choose(p.id), `choose-${p.id}`) : '',
    ),
  );
  show(el('h2', {}, t('plans')), el('ul', { class: 'plans' }, ...list), data.paying ? '' : el('p', { class: 'small' }, t('noPaying')));
}

/** The status poll; stopped while logging out, so a poll answered late cannot paint the status view over the log-out report. */
let poller: ReturnType<typeof setInterval> | undefined;
let leaving = false;
let capped = false;

function startPolling(): void {
  poller ??= setInterval(() => void status().catch(() => {}), 3000);
}

async function status(): Promise<void> {
  const s = await call<GuestState>('GET', '/api/state');
  if (leaving) return;
  const h = store.current;
  const credit = BigInt(s.credit),
    windowSize = BigInt(s.creditWindow);
  const deposit = BigInt(s.deposit ?? h?.deposit ?? '0');
  // Sign ahead of use: keep about a credit window paid beyond what was metered, never above what the plan allows for the time online.
  if (
    h &&
    s.channelId === h.channelId &&
    (s.online || s.endReason === 'credit') &&
    credit * 2n < windowSize &&
    BigInt(s.cost) < deposit &&
    BigInt(s.paid) < deposit
  ) {
    let want = BigInt(s.cost) + windowSize;
    const b = store.base?.channelId === h.channelId ? store.base : null;
    // Time online on this browser's own clock: a router that reports an earlier start (or a later time) gets nothing for it.
    const seconds = b?.at !== undefined ? (Date.now() - b.at) / 1000 : s.startedAt !== null ? (s.time - s.startedAt) / 1000 : null;
    const bound = b && seconds !== null ? spendBound(h.plan, BigInt(b.spent), seconds, windowSize) : null;
    if (bound !== null && want > bound) {
      want = bound;
      capped = true;
    }
    if (want > BigInt(s.paid)) {
      try {
        const signed = await voucher(h, want, s.deposit);
        if (!leaving) render({ ...signed, deposit: s.deposit });
        return;
      } catch {
        /* shown below; the next poll tries again */
      }
    }
  }
  render(s);
}

function render(s: GuestState): void {
  const row = (k: Parameters<typeof t>[0], v: string, id: string) => el('tr', {}, el('th', {}, t(k)), el('td', { id }, v));
  const h = store.current;
  // The deposit cannot cover the next half window of use: ask for a top up before (or once) the guest is held.
  const needTopup = !!h && BigInt(s.cost) + BigInt(s.creditWindow) / 2n >= BigInt(s.deposit ?? h.deposit);
  show(
    el('h2', { id: 'state', class: s.online ? 'on' : 'off' }, s.online ? t('online') : t('held')),
    el(
      'table',
      {},
      row(
        'timeLeft',
        s.secondsLeft === null ? t('unlimited') : `${Math.floor(s.secondsLeft / 60)}:${String(s.secondsLeft % 60).padStart(2, '0')}`,
        'time-left',
      ),
      row('dataLeft', s.bytesLeft === null ? t('unlimited') : `${(s.bytesLeft / 1e6).toFixed(1)} MB`, 'data-left'),
      row('used', `${(s.bytesUsed / 1e6).toFixed(2)} MB`, 'used'),
      s.zeroBytesUsed ? row('free', `${(s.zeroBytesUsed / 1e6).toFixed(2)} MB`, 'free') : '',
      row('credit', gas(s.credit), 'credit'),
      row('spent', gas(s.cost), 'spent'),
    ),
    capped || (h && store.warned(h.channelId)) ? el('p', { class: 'warn', id: 'plan-cap' }, t('planCap')) : '',
    needTopup
      ? el(
          'div',
          { id: 'topup' },
          el('p', { class: 'warn' }, t('topupHint')),
          button(t('topup'), topUp, 'topup-wallet'),
          data.relay ? (topupBox ??= relayBox('topup-relay', () => status())) : '',
        )
      : '',
    s.online
      ? el(
          'p',
          {},
          button(t('logout'), () => logout(false), 'logout'),
          ' ',
          button(t('logoutRefund'), () => logout(true), 'logout-refund', 'secondary'),
        )
      : home(),
  );
}

let topupBox: HTMLElement | undefined;

/** Another transfer to the contract from the wallet, data [1, channel, 0] (0 keeps the expiry); the wallet shows its fee. */
async function topUp(): Promise<void> {
  const h = store.current;
  const w = await foundWallet();
  if (!h || !w) throw new Error(t('noWallet'));
  const account = await w.account();
  const int = (v: string) => ({ type: 'Integer' as const, value: v });
  await w.invoke(
    {
      scriptHash: '0xd2a4cff31913016155e38e474a2c06d08be276cf',
      operation: 'transfer',
      abortOnFail: true,
      signers: [{ account: account.hash, scopes: 'CalledByEntry' }],
      args: [
        { type: 'Hash160', value: account.hash },
        { type: 'Hash160', value: h.contract },
        int(h.deposit),
        { type: 'Array', value: [int('1'), int(h.channelId), int('0')] },
      ],
      validUntilBlock: 0,
      systemFee: '0',
      networkFee: '0',
      fee: '0',
    },
    false,
  );
}

async function logout(refund: boolean): Promise<void> {
  leaving = true;
  clearInterval(poller);
  poller = undefined;
  const h = store.current;
  let s: GuestState & { close?: CloseReport | null; kept?: boolean };
  try {
    const now = await call<GuestState>('GET', '/api/state');
    const body =
      h && now.channelId === h.channelId
        ? {
            channelId: h.channelId,
            time: now.time,
            refund,
            signature: sign(
              h.key,
              sessionActionMessage({ networkMagic: h.network, contract: h.contract }, BigInt(h.channelId), data.router, refund ? 'refund' : 'logout', now.time),
            ),
          }
        : {};
    s = await call<GuestState & { close?: CloseReport | null; kept?: boolean }>('POST', '/api/logout', body);
  } catch (e) {
    leaving = false;
    startPolling();
    throw e;
  }
  if (h && !s.kept) store.drop(h.channelId);
  const rest = h ? gas(BigInt(s.deposit ?? h.deposit) - BigInt(s.paid)) : '';
  show(
    el('h2', { id: 'state' }, t('held')),
    el('p', { id: 'spent' }, `${t('loggedOut')} ${gas(s.cost)}.`),
    ...(s.kept && h ? [el('p', { id: 'kept' }, t('kept', { rest, until: when(h.expiry) }))] : refundText(s.close ?? null)),
    home(),
  );
}

/** What comes back of the deposit, and when: at once when the hotspot closed the channel, else after its expiry. */
function refundText(c: CloseReport | null): HTMLElement[] {
  if (!c) return [];
  if (c.state === 'closed') {
    return [
      el('p', { id: 'refund' }, `${gas(c.refunded)} ${t('refundNow')}`),
      el('p', { id: 'charged', class: 'small' }, `${t('paidOnChain')}: ${gas(c.charged)}`),
    ];
  }
  const rest = c.refund === null ? t('restOfDeposit') : `${t('restOfDeposit')} (${gas(c.refund)})`;
  if (c.state === 'pending') return [el('p', { id: 'refund' }, `${rest} ${t('refundSoon')}`), el('p', { class: 'small' }, c.txid)];
  const at = c.refundAfter === null ? '' : new Date(c.refundAfter).toLocaleString(data.lang === 'zh' ? 'zh-CN' : 'en');
  return [el('p', { id: 'refund' }, `${rest} ${t('refundLater')} ${at} ${t('refundLaterHow')}`)];
}

header();
// Wallets announce themselves a second or more after navigation: look from the start, wait for them only once the guest chooses.
useWallet(detectWallet(6_000, data.walletTimeoutMs));
if (data.view === 'status' || data.view === 'topup' || data.view === 'logout') {
  status().catch(fail);
  startPolling();
} else plans();
