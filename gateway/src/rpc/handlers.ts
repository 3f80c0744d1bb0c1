import type { Logger } from 'pino';
import { publicKeyFromHex, verifyMessage } from '../chain/keys.js';
import { voucherMessage, type Domain } from '../chain/messages.js';
import type { Channel } from '../chain/records.js';
import { addressOfKey, type RouterRegistry } from '../registry/registry.js';
import type { GatewayStore } from '../store/store.js';
import type { RpcChain } from './chain.js';
import { MAX_TX_BYTES, RpcError, type RpcRequest } from './protocol.js';

export interface RpcDeps {
  store: GatewayStore;
  registry: RouterRegistry;
  chain: RpcChain;
  domain: Domain;
  log: Logger;
  clock?: () => number;
}

/** Each method answers through `reply`; relay answers twice (relayed, then confirmed/faulted/unconfirmed). */
export async function dispatch(router: string, req: RpcRequest, d: RpcDeps, reply: (result: unknown) => void): Promise<void> {
  switch (req.method) {
    case 'channel': {
      const ch = await onChain(() => d.chain.channel(req.params.channelId));
      const v = await d.store.newestVoucher(req.params.channelId);
      return reply({ channel: ch, voucher: v ? { amount: v.amount, signature: v.signature } : null });
    }
    case 'relay': {
      const raw = Buffer.from(req.params.tx, 'base64');
      if (raw.length > MAX_TX_BYTES) throw new RpcError('too-large', `transaction over ${MAX_TX_BYTES} bytes`);
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
      if (req.params.waitMs === 0) return;
      const ex = await onChain(() => d.chain.executed(txid, req.params.waitMs));
      if (!ex) return reply({ state: 'unconfirmed', txid });
      const opened = ex.events.find((e) => e.name === 'ChannelOpened' || e.name === 'ChannelToppedUp');
      return reply({ state: ex.vmstate === 'HALT' ? 'confirmed' : 'faulted', txid, vmstate: ex.vmstate, exception: ex.exception,
        channelId: opened?.params.id ?? null, events: ex.events.map((e) => ({ name: e.name, params: e.params })) });
    }
    case 'vouchers':
      return reply({ results: await vouchers(router, req.params, d) });
  }
}

async function vouchers(router: string, p: Extract<RpcRequest, { method: 'vouchers' }>['params'], d: RpcDeps) {
  if (addressOfKey(p.router.toLowerCase()) !== router) throw new RpcError('bad-request', 'router key is not the topic\'s router');
  const info = await onChain(() => d.registry.lookup(p.router.toLowerCase()));
  if (!info || !info.active) throw new RpcError('unknown-router', 'router not registered or retired');
  const channels = new Map<number, Channel | null>();
  const out: Array<{ channelId: number; amount: number; kept: boolean; error?: string }> = [];
  for (const v of p.vouchers) {
    if (!channels.has(v.channelId)) channels.set(v.channelId, await onChain(() => d.chain.channel(v.channelId)));
    const ch = channels.get(v.channelId) ?? null;
    const amount = BigInt(v.amount);
    const error = !ch ? 'unknown channel'
      : ch.owner.toLowerCase() !== info.owner.toLowerCase() ? 'channel pays another owner'
      : ch.closed ? 'channel closed'
      : amount <= ch.redeemed ? 'not above what was redeemed'
      : amount > ch.deposit ? 'above deposit'
      : !verifyMessage(publicKeyFromHex(ch.voucherKey), voucherMessage(d.domain, BigInt(v.channelId), amount), Buffer.from(v.signature, 'hex'))
        ? 'bad voucher signature' : null;
    if (error) {
      out.push({ channelId: v.channelId, amount: v.amount, kept: false, error });
      continue;
    }
    const kept = await d.store.putVoucher({ channelId: v.channelId, amount: v.amount, signature: v.signature.toLowerCase(), router, at: (d.clock ?? Date.now)() });
    out.push({ channelId: v.channelId, amount: v.amount, kept });
  }
  return out;
}

async function onChain<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new RpcError('chain-unavailable', (e as Error).message.slice(0, 300));
  }
}
