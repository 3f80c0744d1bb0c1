import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentConfig } from '../config/schema.js';
import {
  addressOf,
  channelsBodySchema,
  emptyBodySchema,
  logoutBodySchema,
  openedBodySchema,
  payBodySchema,
  type PayRequest,
  type PlanOffer,
  rekeyBodySchema,
  resumeBodySchema,
  sponsoredBodySchema,
  voucherBodySchema,
} from '../../../protocol/src/index.js';
import type { PlanVersion } from '../plans/store.js';
import type { GuestLimits } from '../limits/guest-limits.js';
import { channelLifetimeMs } from './config.js';
import type { PaymentDesk } from './desk.js';
import { HttpError, readJson, sendJson } from './http.js';
import { RELAY_BODY_BYTES, relayBody, type Relayer } from './relay.js';
import type { WalletDesk } from './wallet.js';

/** NEO N3 GAS: channels are always fundable in it. */
export const GAS_HASH = '0xd2a4cff31913016155e38e474a2c06d08be276cf';

export interface ApiDeps {
  config: AgentConfig;
  desk: PaymentDesk;
  routerKey: string;
  clock: () => number;
  /** Sends guests' signed transactions through the gateway; absent without an uplink. */
  relayer?: Relayer;
  /** The guest's wallet: openings built (and maybe sponsored) by the gateway, channels by account, rekeys. */
  wallet?: WalletDesk;
  /** Each guest's token buckets; the server passes its own. */
  guestLimits?: GuestLimits;
}

/** The plan's terms as the owner published them on chain, for the page to show before the wallet's prompt. */
export function planOffer(label: string, p: PlanVersion): PlanOffer {
  const t = p.terms;
  return {
    id: label,
    chainId: p.planId,
    version: p.version,
    name: t.name,
    pricePerMB: t.pricePerMB.toString(),
    pricePerMinute: t.pricePerMinute.toString(),
    downKbps: t.downKbps,
    upKbps: t.upKbps,
    dataCapBytes: t.dataCapBytes.toString(),
    timeCapSeconds: t.timeCapSeconds,
    validUntil: t.validUntil.toString(),
  };
}

/**
 * The channel-opening payment: a GAS transfer to the contract whose data
 * names this router, the guest's voucher key, the expiry and the owner's plan
 * with the version of its terms on chain (the contract refuses a stale one).
 */
export async function paymentRequest(
  deps: ApiDeps,
  label: string,
  onChain: PlanVersion,
  voucherKey: string,
  guest?: { account: string; publicKey?: string },
): Promise<PayRequest> {
  const chain = deps.config.chain;
  if (!chain) throw new HttpError(503, 'paying is not configured on this router (chain)');
  const planId = onChain.planId;
  const p = deps.config.portal;
  const expiry = deps.clock() + channelLifetimeMs(p);
  const data = [0, deps.routerKey, voucherKey, expiry, planId, onChain.version];
  const name = typeof p.name === 'string' ? p.name : p.name.en;
  const req: PayRequest = {
    network: chain.networkMagic,
    contract: chain.contract,
    to: addressOf(chain.contract.slice(2)),
    token: GAS_HASH,
    amount: String(p.deposit),
    data,
    expiry,
    router: deps.routerKey,
    hotspot: name,
    plan: planOffer(label, onChain),
    balance: null,
    sponsored: null,
    sponsorRefusal: null,
    invoke: null,
  };
  if (!guest || !deps.wallet) return { ...req, sponsorRefusal: guest ? 'this router has no gateway to pay the fee' : null };
  const o = await deps.wallet.offer({
    guest: guest.account,
    ...(guest.publicKey ? { guestKey: guest.publicKey } : {}),
    amount: BigInt(p.deposit),
    voucherKey,
    expiry,
    planId,
    planVersion: onChain.version,
  });
  if ('unavailable' in o) return { ...req, sponsorRefusal: o.unavailable };
  return {
    ...req,
    balance: o.balance.toString(),
    sponsorRefusal: o.refusal,
    sponsored: o.sponsored && { ...o.sponsored, fee: o.sponsored.fee.toString() },
    invoke: o.invoke && { ...o.invoke, systemFee: o.invoke.systemFee.toString(), networkFee: o.invoke.networkFee.toString(), fee: o.invoke.fee.toString() },
  };
}

const wallet = (deps: ApiDeps): WalletDesk => {
  if (!deps.wallet) throw new HttpError(503, 'this router cannot do that (no gateway uplink or chain RPC)');
  return deps.wallet;
};

/** /api/*: JSON in and out, one guest per client address. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, mac: string, deps: ApiDeps): Promise<void> {
  const { desk } = deps;
  const route = `${req.method} ${path}`;
  const charge = (kind: Parameters<GuestLimits['charge']>[0]) => deps.guestLimits?.charge(kind, mac);
  switch (route) {
    case 'GET /api/state':
      return sendJson(res, 200, await desk.stateWithDeposit(mac));
    case 'POST /api/pay': {
      const b = await readJson(req, payBodySchema);
      // With an account, the gateway builds (and may sponsor) the opening: a relay's worth of its work.
      if (b.account) charge('relays');
      const pending = await desk.start(mac, b.plan, b.voucherKey);
      try {
        return sendJson(
          res,
          200,
          await paymentRequest(
            deps,
            pending.label,
            pending.offer,
            b.voucherKey,
            b.account ? { account: b.account, ...(b.publicKey ? { publicKey: b.publicKey } : {}) } : undefined,
          ),
        );
      } catch (e) {
        desk.cancel(mac);
        throw e;
      }
    }
    case 'POST /api/cancel':
      await readJson(req, emptyBodySchema);
      return sendJson(res, 200, desk.cancel(mac));
    case 'POST /api/sponsored': {
      const b = await readJson(req, sponsoredBodySchema, RELAY_BODY_BYTES * 2);
      charge('relays');
      const r = await wallet(deps).sponsored(mac, b.txid, {
        ...(b.transaction ? { transaction: b.transaction } : {}),
        ...(b.context ? { context: b.context } : {}),
      });
      return sendJson(res, r.status, r.body);
    }
    case 'POST /api/opened': {
      const b = await readJson(req, openedBodySchema);
      charge('relays');
      const r = await wallet(deps).opened(mac, b.txid);
      return sendJson(res, r.status, r.body);
    }
    case 'POST /api/channels': {
      const b = await readJson(req, channelsBodySchema);
      charge('lookups');
      return sendJson(res, 200, await wallet(deps).channels(b.account));
    }
    case 'POST /api/resume': {
      const b = await readJson(req, resumeBodySchema);
      return sendJson(res, 200, await desk.resume(mac, { channelId: BigInt(b.channelId), time: b.time, signature: b.signature }));
    }
    case 'POST /api/rekey': {
      const b = await readJson(req, rekeyBodySchema);
      charge('relays');
      const r = await wallet(deps).rekey(mac, BigInt(b.channelId), b.newKey, b.proof);
      return sendJson(res, r.status, r.body);
    }
    case 'POST /api/voucher': {
      const b = await readJson(req, voucherBodySchema);
      charge('voucher-checks');
      const r = await desk.voucher(mac, { ...b, channelId: BigInt(b.channelId), amount: BigInt(b.amount) });
      return sendJson(
        res,
        r.ok ? 200 : 409,
        r.ok ? r.state : { error: r.detail, reason: r.reason, ...(r.minimum === undefined ? {} : { minimum: r.minimum.toString() }) },
      );
    }
    case 'POST /api/relay': {
      if (!deps.relayer) throw new HttpError(503, 'this router cannot send transactions (no gateway uplink): send it from your wallet');
      const b = await readJson(req, relayBody, RELAY_BODY_BYTES);
      // What the router refuses itself (not a transaction for this contract) costs the gateway nothing and is not counted.
      deps.relayer.decode(b.tx);
      charge('relays');
      const r = await deps.relayer.relay(mac, b.tx);
      return sendJson(res, r.status, r.body);
    }
    case 'POST /api/logout': {
      const b = await readJson(req, logoutBodySchema);
      const a = 'channelId' in b ? { channelId: BigInt(b.channelId), time: b.time, signature: b.signature, refund: b.refund } : null;
      return sendJson(res, 200, await desk.logout(mac, a));
    }
    default:
      throw new HttpError(req.method === 'GET' || req.method === 'POST' ? 404 : 405, `no ${route}`);
  }
}
