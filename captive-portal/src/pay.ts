import { rekeyMessage, rekeyStatement, sessionActionMessage } from '../../protocol/src/messages.js';
import { addressOf, scriptHashOf } from '../../protocol/src/address.js';
import { ApiError, call, type GuestState, type HeldChannel, type PayRequest, type PlanOffer, type Relayed } from './api.js';
import { relayBox } from './relay.js';
import { button, data, el, fail, gas, home, networkName, show, t, when } from './dom.js';
import { newKey, publicKey, sign, signVoucher, voucherMessage } from './signer.js';
import { store, type Held } from './store.js';
import type { Wallet, WalletAccount } from './wallets/types.js';
import { WalletError } from './wallets/types.js';

/** Found once per page load (wallet scripts announce themselves a second or more after navigation). */
let wallet: Promise<Wallet | null> = Promise.resolve(null);
export const useWallet = (w: Promise<Wallet | null>) => {
  wallet = w;
};
export const foundWallet = (): Promise<Wallet | null> => wallet;

const short = (s: string) => (s.length > 14 ? `${s.slice(0, 6)}…${s.slice(-6)}` : s);
const deployment = (h: { network: number; contract: string }) => ({ networkMagic: h.network, contract: h.contract });

/** What a wallet error means to the guest, in plain words. */
function walletMessage(e: unknown, w: Wallet): Error {
  if (!(e instanceof WalletError)) return e as Error;
  switch (e.kind) {
    case 'refused':
      return new Error(t('declined'));
    case 'timeout':
      return new Error(t('timedOut'));
    case 'funds':
      return new Error(t('noFunds', { detail: e.message }));
    case 'network':
      return new Error(e.message);
    default:
      return new Error(t('walletFailed', { detail: `${w.name}: ${e.message}` }));
  }
}

/** Nothing of a failed attempt stays on the router: its payment window is dropped. */
const cancelled = async (e: unknown): Promise<never> => {
  await call('POST', '/api/cancel', {}).catch(() => {});
  throw e;
};

/** A plan was chosen: a channel this browser holds, else the wallet (a held channel of the account, or a new one). */
export async function choose(plan: string): Promise<void> {
  const held = store.current;
  if (held && held.network === data.network && held.contract === data.contract && held.expiry > Date.now() + 600_000) {
    show(el('p', { class: 'wait' }, t('resuming')));
    try {
      return await resume(held);
    } catch (e) {
      // Closed, expired or another owner's: go on with the wallet.
      console.warn('qlink: the held channel was not resumed:', (e as Error).message);
    }
  }
  show(el('p', { class: 'wait', id: 'finding' }, t('findingWallet')));
  const w = await wallet;
  if (!w) return noWallet(plan);
  try {
    const net = await w.network();
    if (net !== null && data.network !== null && net !== data.network)
      throw new Error(t('wrongNetwork', { theirs: networkName(net), ours: networkName(data.network) }));
    show(el('p', { class: 'wait' }, t('connecting', { wallet: w.name })));
    const account = await w.account();
    const found = await heldByAccount(account);
    if (found) return offerHeld(w, account, found, plan);
    return await pay(w, account, plan);
  } catch (e) {
    throw walletMessage(e, w);
  }
}

/** The account's open channels at this owner's hotspots with credit left (the gateway's index); none where the router cannot ask. */
async function heldByAccount(account: WalletAccount): Promise<HeldChannel | null> {
  const r = await call<{ channels: HeldChannel[] }>('POST', '/api/channels', { account: account.hash }).catch(() => ({ channels: [] as HeldChannel[] }));
  const usable = r.channels.filter((c) => BigInt(c.deposit) - BigInt(c.spent) > BigInt(data.creditWindow) && c.expiry > Date.now() + 600_000);
  return usable[0] ?? null;
}

/** A returning guest: their key for the channel is here (resume), or the wallet names a new one (rekey); or they open another. */
function offerHeld(w: Wallet, account: WalletAccount, c: HeldChannel, plan: string): void {
  const mine = store.get(c.id);
  const rest = gas(BigInt(c.deposit) - BigInt(c.spent));
  if (mine && publicKey(mine.key) === c.voucherKey) {
    show(el('p', { class: 'wait' }, t('resuming')));
    return void resume({ ...mine, deposit: c.deposit, expiry: c.expiry }).catch(fail);
  }
  const parts: Array<Node | string> = [el('p', { id: 'held-channel' }, t('heldChannel', { rest, until: when(c.expiry) }))];
  if (w.signStatement) {
    parts.push(
      el('p', { class: 'small' }, t('rekeyHow', { wallet: w.name })),
      button(
        t('useHeld'),
        () =>
          rekey(w, account, c).catch((e) => {
            throw walletMessage(e, w);
          }),
        'use-held',
      ),
    );
  }
  parts.push(
    ' ',
    button(
      t('newChannel'),
      () =>
        pay(w, account, plan).catch((e) => {
          throw walletMessage(e, w);
        }),
      'new-channel',
      'secondary',
    ),
  );
  show(...parts);
}

async function rekey(w: Wallet, account: WalletAccount, c: HeldChannel): Promise<void> {
  const key = newKey();
  const d = { networkMagic: data.network!, contract: data.contract! };
  const statement = rekeyStatement(rekeyMessage(d, BigInt(c.id), c.voucherKey, publicKey(key)));
  show(el('p', { class: 'wait' }, t('signing', { wallet: w.name })));
  const proof = await w.signStatement!(statement);
  show(el('p', { class: 'wait' }, t('rekeying')));
  await call<Relayed>('POST', '/api/rekey', { channelId: c.id, newKey: publicKey(key), proof });
  // No `signed`: this browser never saw the channel's vouchers, and what the gateway last heard may lag the router that took the newest,
  // so the first minimum is followed (up to the deposit), as the page did before it kept its own record.
  const h: Held = {
    channelId: c.id,
    key,
    network: d.networkMagic,
    contract: d.contract,
    deposit: c.deposit,
    plan: null,
    account: account.hash,
    expiry: c.expiry,
  };
  store.put(h);
  await resume(h);
}

/** The channel's voucher key signs "resume" for this router at the router's time; then the first voucher. */
export async function resume(h: Held): Promise<void> {
  const s = await call<GuestState>('GET', '/api/state');
  const signature = sign(h.key, sessionActionMessage(deployment(h), BigInt(h.channelId), data.router, 'resume', s.time));
  await call('POST', '/api/resume', { channelId: h.channelId, time: s.time, signature });
  store.current = h;
  await firstVoucher(h, false);
}

function termsText(p: PlanOffer): string {
  const parts = [
    BigInt(p.pricePerMB) ? `${gas(p.pricePerMB)} ${t('perMb')}` : '',
    BigInt(p.pricePerMinute) ? `${gas(p.pricePerMinute)} ${t('perMin')}` : '',
    p.downKbps ? `↓ ${p.downKbps / 1000} Mbit/s` : '',
    p.upKbps ? `↑ ${p.upKbps / 1000} Mbit/s` : '',
    BigInt(p.dataCapBytes) ? `${Number(p.dataCapBytes) / 1e6} MB ${t('quota')}` : '',
    p.timeCapSeconds ? `${p.timeCapSeconds / 60} ${t('minutes')}` : '',
  ];
  return parts.filter(Boolean).join(', ') || t('unlimited');
}

/** A new channel: the statement of what will be signed, then one confirmation in the wallet. */
async function pay(w: Wallet, account: WalletAccount, plan: string): Promise<void> {
  const key = newKey();
  const req = await call<PayRequest>('POST', '/api/pay', {
    plan,
    voucherKey: publicKey(key),
    account: account.hash,
    ...(account.publicKey ? { publicKey: account.publicKey } : {}),
  });
  // OneGate signs a context only where it holds every signer's key (by its source: Wallet.Sign with a null snapshot): it cannot co-sign.
  const coSigns = w.kind === 'neoline' || w.name !== 'OneGate';
  const sponsored = !!req.sponsored && coSigns;
  const whyNot = req.sponsored && !coSigns ? t('cannotCoSign', { wallet: w.name }).replace(/\.$/, '') : req.sponsorRefusal;
  const statement = (sponsor: boolean): HTMLElement[] => {
    const common = [
      el(
        'p',
        { id: 'deposit' },
        t('youDeposit', { amount: gas(req.amount), account: account.address, hotspot: req.hotspot, router: short(addressOfKey(req.router)) }),
      ),
      el('p', { id: 'plan-terms' }, t('planTerms', { name: req.plan.name, version: String(req.plan.version), terms: termsText(req.plan) })),
      el('p', {}, t('until', { until: when(req.expiry) })),
    ];
    const fee =
      sponsor && req.sponsored
        ? el(
            'p',
            { id: 'fee', 'data-payer': 'hotspot', 'data-fee': '0' },
            t('sponsoredFee', { fee: gas(req.sponsored.fee), amount: gas(req.amount), wallet: w.name, sponsor: req.sponsored.sponsor }),
          )
        : req.invoke
          ? el(
              'p',
              { id: 'fee', 'data-payer': 'guest', 'data-fee': req.invoke.fee },
              t('guestFee', {
                fee: gas(req.invoke.fee),
                system: gas(req.invoke.systemFee),
                network: gas(req.invoke.networkFee),
                total: gas(BigInt(req.amount) + BigInt(req.invoke.fee)),
              }),
            )
          : el('p', { id: 'fee', 'data-payer': 'guest' }, t('guestFeeUnknown', { wallet: w.name }));
    const why = !sponsor && whyNot ? [el('p', { class: 'small', id: 'no-sponsor' }, t('whyNoSponsor', { why: whyNot }))] : [];
    return [el('h2', {}, t('confirmTitle', { wallet: w.name })), ...common, fee, ...why, el('p', { class: 'small' }, t('oneConfirm', { wallet: w.name }))];
  };
  const guestPays = () => {
    if (req.invoke && req.balance !== null && BigInt(req.balance) < BigInt(req.amount) + BigInt(req.invoke.fee)) {
      throw new Error(t('noFunds', { detail: `${gas(req.balance)} < ${gas(BigInt(req.amount) + BigInt(req.invoke.fee))}` }));
    }
  };
  const confirm = (sponsor: boolean, go: () => Promise<void>) => {
    if (!sponsor) guestPays();
    show(
      ...statement(sponsor),
      el(
        'p',
        {},
        button(t('confirm'), () => go().catch((e) => cancelled(walletMessage(e, w))), 'confirm'),
        ' ',
        button(t('cancel'), () => cancelled(new Error(t('declined'))), 'cancel', 'secondary'),
      ),
    );
  };
  const held = (channelId: string): Held => ({
    channelId,
    key,
    network: req.network,
    contract: req.contract,
    deposit: req.amount,
    plan: req.plan,
    account: account.hash,
    expiry: req.expiry,
    signed: '0',
  });
  const viaInvoke = async () => {
    show(el('p', { class: 'wait' }, t('signing', { wallet: w.name })), w.kind === 'neoline' ? el('p', { class: 'small' }, t('closeNeoline')) : '');
    const txid = await w.invoke(req.invoke ?? plainInvoke(req, account), !!req.invoke);
    show(el('p', { class: 'wait' }, t('waiting')));
    const r = await call<Relayed>('POST', '/api/opened', { txid });
    await opened(r, held);
  };
  if (!sponsored) return confirm(false, viaInvoke);
  confirm(true, async () => {
    show(el('p', { class: 'wait' }, t('signing', { wallet: w.name })));
    let signed;
    try {
      signed = await w.signSponsored(req.sponsored!);
    } catch (e) {
      // A wallet that cannot co-sign (OneGate, by its source): the guest may still pay the fee, told first.
      if (e instanceof WalletError && (e.kind === 'unable' || e.kind === 'failed') && req.invoke) {
        show(el('p', { class: 'warn' }, t('cannotCoSign', { wallet: w.name })));
        return confirm(false, viaInvoke);
      }
      throw e;
    }
    show(el('p', { class: 'wait' }, t('waiting')));
    const r = await call<Relayed>('POST', '/api/sponsored', { txid: req.sponsored!.txid, ...signed });
    await opened(r, held);
  });
}

const addressOfKey = (key: string): string => addressOf(scriptHashOf(key));

/** Without the gateway's quote: the same opening, the fee as the wallet sets it. */
function plainInvoke(req: PayRequest, account: WalletAccount) {
  const [, router, voucherKey, expiry, planId, planVersion] = req.data as [number, string, string, number, number, number];
  const b64 = (hex: string) => btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((x) => parseInt(x, 16))));
  const int = (n: number | string) => ({ type: 'Integer' as const, value: String(n) });
  return {
    scriptHash: req.token,
    operation: 'transfer' as const,
    abortOnFail: true as const,
    signers: [{ account: account.hash, scopes: 'CalledByEntry' as const }],
    args: [
      { type: 'Hash160' as const, value: account.hash },
      { type: 'Hash160' as const, value: req.contract },
      int(req.amount),
      {
        type: 'Array' as const,
        value: [
          int(0),
          { type: 'ByteArray' as const, value: b64(router) },
          { type: 'ByteArray' as const, value: b64(voucherKey) },
          int(expiry),
          int(planId),
          int(planVersion),
        ],
      },
    ],
    validUntilBlock: 0,
    systemFee: '0',
    networkFee: '0',
    fee: '0',
  };
}

async function opened(r: Relayed, held: (id: string) => Held): Promise<void> {
  if (r.state !== 'confirmed' || !r.channelId) throw new Error(`${t('notInBlock')} ${r.txid}`);
  const h = held(r.channelId);
  store.put(h);
  store.current = h;
  await firstVoucher(h, true);
}

/**
 * The first voucher of a session: a credit window above what the channel
 * already paid for (here, or at another of the owner's routers). A router
 * that answers "I hold more" names a minimum; the page follows it only up to
 * what it signed itself on the channel (a voucher it signed and whose answer
 * was lost), never to an amount it never signed: it warns, and asks once more
 * with its own amount.
 */
export async function firstVoucher(h: Held, waitForBlock: boolean): Promise<void> {
  show(el('p', { class: 'wait' }, t('waiting')));
  let amount = BigInt(data.creditWindow);
  let sentAt = Date.now();
  let refused = false;
  // Only a channel this browser has a record of is checked: the record rises with each voucher sent below.
  const recorded = store.get(h.channelId)?.signed !== undefined;
  for (let i = 0; ; i++) {
    try {
      sentAt = Date.now();
      await voucher(h, amount);
      break;
    } catch (e) {
      const m = e instanceof ApiError ? e.minimum : undefined;
      if (m !== undefined && amount < BigInt(m) && i < 3) {
        const signedHere = store.get(h.channelId)?.signed;
        if (recorded && signedHere !== undefined && BigInt(m) - 1n > BigInt(signedHere)) {
          store.warn(h.channelId);
          if (refused) throw new Error(t('askedMore'));
          refused = true;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        amount = BigInt(m) - 1n + BigInt(data.creditWindow);
        continue;
      }
      // The channel may still be in the mempool: ask again for a while.
      if (!waitForBlock || !/unknown-channel|unconfirmed-channel/.test((e as Error).message) || i > 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // The bound's clock starts when this voucher was sent: the router's session started after that.
  store.base = { channelId: h.channelId, spent: (amount - BigInt(data.creditWindow)).toString(), at: sentAt };
  // A full page load once online: the iOS sheet re-probes and turns "Cancel" into "Done" only then.
  location.replace('/status');
}

export async function voucher(h: Held, amount: bigint, deposit?: string | null): Promise<GuestState> {
  const cap = BigInt(deposit ?? h.deposit);
  const a = amount > cap ? cap : amount;
  const { signature, by } = await signVoucher(h.key, voucherMessage(deployment(h), BigInt(h.channelId), a));
  // Which signer ran, for the tests (WebCrypto in a secure context, pure JS otherwise).
  document.documentElement.dataset.signer = by;
  // Counted as signed before it is sent: a router that took it and lost the answer may ask for just above it.
  store.signed(h.channelId, a);
  return call<GuestState>('POST', '/api/voucher', { channelId: h.channelId, amount: a.toString(), signature });
}

/** No wallet in this browser (an OS sign-in sheet): how to get into one. */
async function noWallet(plan: string): Promise<void> {
  const url = el('input', { id: 'short-url', value: data.shortUrl, readonly: '', 'aria-label': data.shortUrl });
  const copy = button(
    t('copy'),
    () => {
      url.select();
      const done = () => {
        copy.textContent = t('copied');
      };
      // navigator.clipboard needs a secure context; the portal is plain HTTP, where execCommand still copies a selection.
      if (navigator.clipboard && isSecureContext) return navigator.clipboard.writeText(data.shortUrl).then(done);
      if (document.execCommand('copy')) done();
    },
    'copy-url',
  );
  const parts: Array<Node | string> = [
    el('h2', { id: 'no-wallet' }, t('noWallet')),
    el('p', {}, t('noWalletHow')),
    el('div', { class: 'copy' }, url, copy),
    el(
      'ul',
      { class: 'wallets' },
      el('li', { id: 'via-neoline' }, t('viaNeoline')),
      el('li', { id: 'via-onegate' }, t('viaOnegate')),
      el('li', { id: 'via-neon' }, t('viaNeon')),
    ),
  ];
  // For a wallet that signs offline (scripts/guest-wallet open --sign-only): the payment request it signs, and a box to paste the result.
  if (data.relay) {
    const key = newKey();
    const req = await call<PayRequest>('POST', '/api/pay', { plan, voucherKey: publicKey(key) });
    const held = (channelId: string): Held => ({
      channelId,
      key,
      network: req.network,
      contract: req.contract,
      deposit: req.amount,
      plan: req.plan,
      account: null,
      expiry: req.expiry,
      signed: '0',
    });
    parts.push(
      el(
        'details',
        { id: 'offline' },
        el('summary', {}, t('offline')),
        el('pre', { id: 'pay-request', class: 'small' }, JSON.stringify(req)),
        relayBox('relay', (r) => opened(r, held)),
      ),
    );
  }
  show(...parts, home());
}
