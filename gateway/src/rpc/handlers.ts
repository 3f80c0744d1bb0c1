import type { Logger } from 'pino';
import {
  addressOfKey,
  type Channel,
  type Deployment,
  MAX_TX_BYTES,
  type RpcRequest,
  scriptHashToVm,
  toHex,
  voucherRefusal,
} from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { PlanCatalog } from '../plans/catalog.js';
import type { RouterRegistry } from '../registry/registry.js';
import type { ChannelCloser } from '../settle/closer.js';
import type { RouterInfo, SettlementStore } from '../store/store.js';
import type { RpcChain } from './chain.js';
import { RpcError } from './errors.js';
import { dispatchWallet, type WalletRpcDeps } from './wallet-handlers.js';

export interface RpcDeps {
  store: SettlementStore;
  registry: RouterRegistry;
  chain: RpcChain;
  deployment: Deployment;
  log: Logger;
  /** Present when this gateway settles; it closes channels of the owners that authorised one of its closer keys. */
  closer?: ChannelCloser;
  /** Per-router budgets (config quotas): requests a minute, relays an hour. */
  quotas?: { rpcPerMinute: number; relaysPerHour: number };
  clock?: () => number;
  /** The wallet path: offers (sponsored or not), the channel index. */
  wallet?: WalletRpcDeps;
  /** Owners' plans and their versions (`plans`, `planVersion`); without it those methods answer `refused`. */
  plans?: PlanCatalog;
}

type Params<M extends RpcRequest['method']> = Extract<RpcRequest, { method: M }>['params'];

/** Each method answers through `reply`; relay and close answer twice (sent, then the block's verdict). */
export async function dispatch(router: string, req: RpcRequest, d: RpcDeps, reply: (result: unknown) => void): Promise<void> {
  switch (req.method) {
    case 'channel': {
      if (addressOfKey(req.params.router.toLowerCase()) !== router) throw new RpcError('bad-request', "router key is not the topic's router");
      const me = await onChain(() => d.registry.lookup(req.params.router.toLowerCase()));
      const [ch, time, window] = await onChain(() => Promise.all([d.chain.channel(req.params.channelId), d.chain.chainTime(), d.chain.settlementWindow()]));
      const v = await d.store.newestVoucher(req.params.channelId);
      return reply({
        channel: ch,
        voucher: v ? { amount: v.amount, signature: v.signature } : null,
        time,
        settlementWindowMs: window,
        routerOwner: me?.active ? me.owner : null,
      });
    }
    case 'plan': {
      const me = await registeredRouter(router, req.params.router, d);
      const p = await onChain(() => d.chain.plan(me.owner, req.params.planId));
      return reply({ plan: p && { version: p.version, validFrom: p.validFrom, validUntil: p.validUntil, terms: toHex(p.terms) } });
    }
    case 'plans': {
      const catalog = planCatalog(d);
      if (addressOfKey(req.params.router.toLowerCase()) !== router) throw new RpcError('bad-request', "router key is not the topic's router");
      const me = await onChain(() => d.registry.lookup(req.params.router.toLowerCase()));
      if (!me?.active) return reply({ owner: null, plans: [] });
      const list = await onChain(() => catalog.current(me.owner));
      return reply({
        owner: me.owner,
        plans: list.map(({ planId, plan: p }) => ({ planId, version: p.version, validFrom: p.validFrom, validUntil: p.validUntil, terms: toHex(p.terms) })),
      });
    }
    case 'planVersion': {
      const catalog = planCatalog(d);
      await registeredRouter(router, req.params.router, d);
      const terms = await onChain(() => catalog.version(req.params.owner, req.params.planId, req.params.version));
      return reply({ terms: terms && toHex(terms) });
    }
    case 'relay':
      return relay(router, req.auth.key, req.params, d, reply);
    case 'vouchers':
      return reply({ results: await vouchers(router, req.params, d) });
    case 'close':
      return close(router, req.params, d, reply);
    case 'offer':
    case 'sponsored':
    case 'watch':
    case 'channels':
    case 'rekey':
      return dispatchWallet(router, req, d, reply);
  }
}

async function relay(router: string, auth: string, p: Params<'relay'>, d: RpcDeps, reply: (result: unknown) => void): Promise<void> {
  const raw = Buffer.from(p.tx, 'base64');
  if (raw.length > MAX_TX_BYTES) throw new RpcError('too-large', `transaction over ${MAX_TX_BYTES} bytes`);
  // The gateway relays for registered routers only, and only what calls this contract: it is no free relay for anything else.
  await registeredRouter(router, auth, d);
  if (!raw.includes(Buffer.from(scriptHashToVm(d.deployment.contract)))) throw new RpcError('refused', 'the transaction does not call the qlink contract');
  let txid: string;
  try {
    txid = await d.chain.relay(raw);
  } catch (e) {
    // The node's own refusal (bad witness, no funds, expired) goes back to the guest word for word; a dead node is ours.
    if ((e as Error).constructor.name === 'RpcError') throw new RpcError('refused', (e as Error).message.slice(0, 300));
    throw new RpcError('chain-unavailable', (e as Error).message.slice(0, 300));
  }
  d.log.info({ router, txid, bytes: raw.length }, 'guest tx relayed');
  reply({ state: 'relayed', txid });
  if (p.waitMs === 0) return;
  const ex = await onChain(() => d.chain.executed(txid, p.waitMs));
  if (!ex) return reply({ state: 'unconfirmed', txid });
  const opened = ex.events.find((e) => e.name === 'ChannelOpened' || e.name === 'ChannelToppedUp');
  return reply({
    state: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted',
    txid,
    vmstate: ex.vmstate,
    exception: ex.exception,
    channelId: opened?.params.id ?? null,
    events: ex.events.map((e) => ({ name: e.name, params: e.params })),
  });
}

function planCatalog(d: RpcDeps): PlanCatalog {
  if (!d.plans) throw new RpcError('refused', 'this gateway does not serve plans');
  return d.plans;
}

/** The router behind the request: its key must be the topic's, registered and active. */
async function registeredRouter(router: string, key: string, d: RpcDeps): Promise<RouterInfo> {
  if (addressOfKey(key.toLowerCase()) !== router) throw new RpcError('bad-request', "router key is not the topic's router");
  const info = await onChain(() => d.registry.lookup(key.toLowerCase()));
  if (!info || !info.active) throw new RpcError('unknown-router', 'router not registered or retired');
  return info;
}

/** Why the contract would refuse this voucher for this router's owner, or null when it would pay it. */
function voucherProblem(ch: Channel | null, owner: string, channelId: number, amount: bigint, signature: string, d: Deployment): string | null {
  return voucherRefusal(ch, { channelId: BigInt(channelId), amount, signature }, owner, d, verifyP256);
}

async function keep(router: string, channelId: number, v: { amount: number; signature: string }, d: RpcDeps): Promise<boolean> {
  return d.store.putVoucher({ channelId, amount: v.amount, signature: v.signature.toLowerCase(), router, at: (d.clock ?? Date.now)() });
}

async function vouchers(router: string, p: Params<'vouchers'>, d: RpcDeps) {
  const info = await registeredRouter(router, p.router, d);
  const channels = new Map<number, Channel | null>();
  const out: Array<{ channelId: number; amount: number; kept: boolean; error?: string }> = [];
  for (const v of p.vouchers) {
    if (!channels.has(v.channelId)) channels.set(v.channelId, await onChain(() => d.chain.channel(v.channelId)));
    const error = voucherProblem(channels.get(v.channelId) ?? null, info.owner, v.channelId, BigInt(v.amount), v.signature, d.deployment);
    if (error) {
      out.push({ channelId: v.channelId, amount: v.amount, kept: false, error });
      continue;
    }
    out.push({ channelId: v.channelId, amount: v.amount, kept: await keep(router, v.channelId, v, d) });
  }
  return out;
}

async function close(router: string, p: Params<'close'>, d: RpcDeps, reply: (result: unknown) => void): Promise<void> {
  const info = await registeredRouter(router, p.router, d);
  const ch = await onChain(() => d.chain.channel(p.channelId));
  if (!ch) throw new RpcError('refused', 'unknown channel');
  // Only the owner's own routers may end its channels early.
  if (ch.owner.toLowerCase() !== info.owner.toLowerCase()) throw new RpcError('refused', 'channel pays another owner');
  if (p.voucher) {
    const error = voucherProblem(ch, info.owner, p.channelId, BigInt(p.voucher.amount), p.voucher.signature, d.deployment);
    if (error) d.log.info({ router, channelId: p.channelId, error }, "close: the router's voucher adds nothing");
    else await keep(router, p.channelId, p.voucher, d);
  }
  const noKey = "the channel's owner authorised no closer key of this gateway; the guest's refund opens at expiry";
  if (!d.closer || (!ch.closed && !(await onChain(() => d.closer!.closerFor(ch.owner))))) throw new RpcError('no-owner-key', noKey);
  const out = await onChain(() => d.closer!.close(p.channelId, p.waitMs, reply));
  if (out.kind === 'no-closer') throw new RpcError('no-owner-key', noKey);
  if (out.kind === 'unknown-channel') throw new RpcError('refused', 'unknown channel');
  if (out.kind === 'refused') throw new RpcError('refused', out.reason);
  if (out.kind === 'busy') throw new RpcError('busy', `settlement tx ${out.txid} for this channel is not in a block yet; retry`);
}

async function onChain<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // A refusal by the contract (test invocation FAULT) is an answer, not an outage.
    if (/test invocation faulted/.test((e as Error).message)) throw new RpcError('refused', (e as Error).message.slice(0, 300));
    throw new RpcError('chain-unavailable', (e as Error).message.slice(0, 300));
  }
}
