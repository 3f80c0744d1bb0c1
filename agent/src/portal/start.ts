import type { AgentConfig } from '../config.js';
import type { Gatekeeper } from '../gatekeeper.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { GuestStore } from '../store/guests.js';
import type { SessionStore } from '../store/sessions.js';
import { ChainChannelSource } from '../vouchers/chain-source.js';
import type { ChannelSource } from '../vouchers/channel-source.js';
import { VoucherChecker } from '../vouchers/check.js';
import { ChannelLedger } from '../vouchers/ledger.js';
import { VoucherStore } from '../vouchers/store.js';
import { PaymentDesk } from './desk.js';
import { startPortal, type RunningPortal } from './server.js';

export interface PortalContext {
  config: AgentConfig; db: Db; gatekeeper: Gatekeeper; sessions: SessionStore; guests: GuestStore; log: Logger;
  routerKey: string; refreshGuests(): Promise<void>;
  /** Tests pass an in-memory one; otherwise the contract is read over portal.rpcUrl. */
  channels?: ChannelSource;
}

/** Wires the portal: vouchers only when a deployment and an RPC node are configured. */
export async function startGuestPortal(ctx: PortalContext): Promise<{ portal: RunningPortal; desk: PaymentDesk; timer: NodeJS.Timeout }> {
  const { config, log } = ctx;
  let source = ctx.channels;
  if (!source && config.chain && config.portal.rpcUrl) {
    // neon-js only when paying is on: the agent stays light on routers that do not take payments.
    const { QlinkClient } = await import('../../../gateway/src/chain/client.js');
    source = new ChainChannelSource(new QlinkClient({ rpc: config.portal.rpcUrl, magic: config.chain.networkMagic, contract: config.chain.contract }));
  }
  const vouchers = new VoucherStore(ctx.db);
  const ledger = new ChannelLedger(ctx.db, (id) => config.plans.find((p) => p.id === id));
  const checker = source && config.chain ? new VoucherChecker({
    domain: { magic: config.chain.networkMagic, contract: config.chain.contract },
    routerKey: ctx.routerKey, owner: config.portal.owner, expiryMarginMs: config.portal.expiryMarginSeconds * 1000,
  }, source, vouchers) : undefined;
  if (!checker) log.warn('portal: paying is off (needs chain and portal.rpcUrl)');
  const desk = new PaymentDesk({ config, gatekeeper: ctx.gatekeeper, sessions: ctx.sessions, log, clock: Date.now, checker, vouchers, ledger, channels: source });
  const macOf = async (ip: string) => {
    const known = ctx.guests.macOf(ip);
    if (known) return known;
    await ctx.refreshGuests().catch(() => {});
    return ctx.guests.macOf(ip);
  };
  const portal = await startPortal({ config, desk, routerKey: ctx.routerKey, clock: Date.now, log, macOf });
  const timer = setInterval(() => void desk.enforce().catch((e) => log.error({ err: (e as Error).message }, 'credit check failed')), 1_000);
  return { portal, desk, timer };
}
