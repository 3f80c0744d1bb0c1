import type { Logger } from '../log.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import type { ChannelSource } from '../vouchers/channel-source.js';
import type { VoucherStore } from '../vouchers/store.js';
import type { CloseReport } from '../../../protocol/src/index.js';

export interface ClosingDeps {
  gateway?: Pick<GatewayRpc, 'close'>;
  channels?: ChannelSource;
  vouchers: VoucherStore;
  log: Logger;
  /** How long a log out waits for the close's block. */
  waitMs: number;
}

export async function closeAtLogout(d: ClosingDeps, channelId: bigint): Promise<CloseReport> {
  const held = d.vouchers.newest(channelId);
  const outlook = await refundOutlook(d, channelId, held?.amount ?? 0n);
  const atExpiry = (reason: string): CloseReport => ({ state: 'at-expiry', reason, ...outlook });
  if (!d.gateway) return atExpiry('this router has no gateway to close the channel');
  const sent: { txid: string | null } = { txid: null };
  try {
    const r = await d.gateway.close(channelId, held ? { amount: held.amount, signature: held.signature } : null, d.waitMs, (s) => {
      sent.txid = s.txid;
    });
    d.log.info({ channel: String(channelId), state: r.state, txid: r.txid }, 'channel close at log out');
    if (r.state === 'closed') return { state: 'closed', txid: r.txid, charged: r.cumulative.toString(), refunded: r.refunded.toString() };
    if (r.state === 'unconfirmed') return { state: 'pending', txid: r.txid, ...outlook };
    return atExpiry(`the close failed on chain (${r.exception ?? 'FAULT'})`);
  } catch (e) {
    const err = e as Error;
    d.log.warn({ channel: String(channelId), err: err.message }, 'channel not closed at log out');
    if (sent.txid !== null) return { state: 'pending', txid: sent.txid, ...outlook };
    if (err instanceof RpcFailure && err.code === 'no-owner-key') return atExpiry("the hotspot's gateway cannot close channels for this owner");
    return atExpiry(`the gateway did not close the channel (${err.message.slice(0, 200)})`);
  }
}

/** Without a close, the owner redeems the newest voucher and the rest opens to the guest after expiry plus the settlement window. */
async function refundOutlook(d: ClosingDeps, channelId: bigint, held: bigint): Promise<{ refund: string | null; refundAfter: number | null }> {
  if (!d.channels) return { refund: null, refundAfter: null };
  try {
    const c = await d.channels.channel(channelId);
    if (!c) return { refund: null, refundAfter: null };
    const window = await d.channels.settlementWindow();
    const newest = [held, c.redeemed, c.newest?.amount ?? 0n].reduce((a, b) => (a > b ? a : b));
    return { refund: (c.deposit - newest).toString(), refundAfter: Number(c.expiry + window) };
  } catch {
    return { refund: null, refundAfter: null };
  }
}
