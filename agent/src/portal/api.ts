import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AgentConfig } from '../config.js';
import { addressOf } from '../identity/neo-address.js';
import { channelLifetimeMs } from './config.js';
import type { PaymentDesk } from './desk.js';
import { HttpError, readJson, sendJson } from './http.js';
import { RELAY_BODY_BYTES, relayBody, type Relayer } from './relay.js';

/** NEO N3 GAS: channels are always fundable in it. */
export const GAS_HASH = '0xd2a4cff31913016155e38e474a2c06d08be276cf';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));
const pubKey = z.string().regex(/^0[23][0-9a-fA-F]{64}$/, 'expected a 33-byte compressed public key in hex');
const uint = z.string().regex(/^[0-9]{1,19}$/, 'expected a decimal integer');

const payBody = z.object({ plan: z.string().min(1).max(32), voucherKey: pubKey }).strict();
const voucherBody = z.object({
  channelId: uint, amount: uint, signature: hex(64),
  magic: z.int().min(0).max(0xffff_ffff).optional(), contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/).optional(),
}).strict();
const empty = z.object({}).strict();

export interface ApiDeps {
  config: AgentConfig;
  desk: PaymentDesk;
  routerKey: string;
  clock: () => number;
  /** Sends guests' signed transactions through the gateway; absent without an uplink. */
  relayer?: Relayer;
}

/** The channel-opening payment the page shows as a QR code and a wallet link (NEP-9 style, with the transfer's data). */
export function paymentRequest(deps: ApiDeps, voucherKey: string) {
  const chain = deps.config.chain;
  if (!chain) throw new HttpError(503, 'paying is not configured on this router (chain)');
  const p = deps.config.portal;
  const expiry = deps.clock() + channelLifetimeMs(p);
  const data = ['open', deps.routerKey, voucherKey, expiry];
  const to = addressOf(chain.contract.slice(2));
  const gas = (p.deposit / 1e8).toFixed(8).replace(/\.?0+$/, '');
  const uri = `neo:${to}?asset=gas&amount=${gas}&data=${encodeURIComponent(JSON.stringify(data))}`;
  return { network: chain.networkMagic, contract: chain.contract, to, token: GAS_HASH, amount: String(p.deposit), data, expiry, uri };
}

/** /api/*: JSON in and out, one guest per client address. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, mac: string, deps: ApiDeps): Promise<void> {
  const { desk } = deps;
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /api/state':
      return sendJson(res, 200, await desk.stateWithDeposit(mac));
    case 'POST /api/pay': {
      const b = await readJson(req, payBody);
      const request = paymentRequest(deps, b.voucherKey);
      desk.start(mac, b.plan, b.voucherKey);
      return sendJson(res, 200, request);
    }
    case 'POST /api/voucher': {
      const b = await readJson(req, voucherBody);
      const r = await desk.voucher(mac, { ...b, channelId: BigInt(b.channelId), amount: BigInt(b.amount) });
      return sendJson(res, r.ok ? 200 : 409, r.ok ? r.state : { error: r.detail, reason: r.reason, ...(r.minimum === undefined ? {} : { minimum: r.minimum.toString() }) });
    }
    case 'POST /api/relay': {
      if (!deps.relayer) throw new HttpError(503, 'this router cannot send transactions (no gateway uplink): send it from your wallet');
      const b = await readJson(req, relayBody, RELAY_BODY_BYTES);
      const r = await deps.relayer.relay(mac, b.tx);
      return sendJson(res, r.status, r.body);
    }
    case 'POST /api/logout':
      await readJson(req, empty);
      return sendJson(res, 200, await desk.logout(mac));
    default:
      throw new HttpError(req.method === 'GET' || req.method === 'POST' ? 404 : 405, `no ${route}`);
  }
}
