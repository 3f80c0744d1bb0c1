import type { AgentConfig } from '../config.js';
import type { Gatekeeper } from '../gatekeeper.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { GuestStore } from '../store/guests.js';
import type { SessionStore } from '../store/sessions.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { ChainChannelSource } from '../vouchers/chain-source.js';
import type { ChannelSource } from '../vouchers/channel-source.js';
import { VoucherChecker } from '../vouchers/check.js';
import { FallbackChannelSource } from '../vouchers/fallback-source.js';
import { GatewayChannelSource } from '../vouchers/gateway-source.js';
import { ChannelLedger } from '../vouchers/ledger.js';
import { VoucherPusher } from '../vouchers/pusher.js';
import { VoucherStore } from '../vouchers/store.js';
import { closeAtLogout } from './closing.js';
import { PaymentDesk } from './desk.js';
import { Relayer } from './relay.js';
import { startPortal, type RunningPortal } from './server.js';

export interface PortalContext {
  config: AgentConfig; db: Db; gatekeeper: Gatekeeper; sessions: SessionStore; guests: GuestStore; log: Logger;
  routerKey: string; refreshGuests(): Promise<void>;
  /** The gateway's channel service, when the uplink is configured. */
  gateway?: GatewayRpc;
  /** Tests pass an in-memory one; otherwise chosen by portal.channels. */
  channels?: ChannelSource;
}

export interface RunningGuestPortal {
  portal: RunningPortal;
  desk: PaymentDesk;
  stop(): Promise<void>;
}

/** Where channels are read (portal.channels): the gateway, the chain, or the gateway with the chain standing in. */
async function chooseChannelSource(ctx: PortalContext): Promise<ChannelSource | undefined> {
  const { config, gateway } = ctx;
  const chainConfig = config.chain;
  if (!chainConfig) return undefined;
  const mode = config.portal.channels === 'auto' ? (gateway ? 'gateway' : 'chain') : config.portal.channels;
  const chain = async () => {
    if (!config.portal.rpcUrl) return undefined;
    // neon-js only when the chain is read directly: the agent stays light on routers that do not.
    const { QlinkClient } = await import('../../../gateway/src/chain/client.js');
    return new ChainChannelSource(new QlinkClient({ rpc: config.portal.rpcUrl, magic: chainConfig.networkMagic, contract: chainConfig.contract }));
  };
  if (mode === 'chain') return chain();
  if (!gateway) return undefined;
  const viaGateway = new GatewayChannelSource(gateway);
  const direct = await chain();
  return direct ? new FallbackChannelSource(viaGateway, direct, ctx.routerKey, ctx.log) : viaGateway;
}

/** Wires the portal: vouchers only when a deployment and a way to read channels are configured. */
export async function startGuestPortal(ctx: PortalContext): Promise<RunningGuestPortal> {
  const { config, log, gateway } = ctx;
  const source = ctx.channels ?? await chooseChannelSource(ctx);
  const vouchers = new VoucherStore(ctx.db);
  const ledger = new ChannelLedger(ctx.db, (id) => config.plans.find((p) => p.id === id));
  const checker = source && config.chain ? new VoucherChecker({
    domain: { magic: config.chain.networkMagic, contract: config.chain.contract },
    routerKey: ctx.routerKey, owner: config.portal.owner, expiryMarginMs: config.portal.expiryMarginSeconds * 1000,
  }, source, vouchers) : undefined;
  if (!checker) log.warn('portal: paying is off (needs chain, and portal.rpcUrl or the uplink)');
  else log.info({ channels: source instanceof ChainChannelSource ? 'chain' : source instanceof FallbackChannelSource ? 'gateway, chain as fallback' : 'gateway' }, 'portal: paying is on');
  const pusher = gateway ? new VoucherPusher(vouchers, gateway, log) : undefined;
  pusher?.start();
  const desk = new PaymentDesk({
    config, gatekeeper: ctx.gatekeeper, sessions: ctx.sessions, log, clock: Date.now, checker, vouchers, ledger, channels: source,
    onVoucher: () => void pusher?.nudge(),
    close: (id) => closeAtLogout({ gateway, channels: source, vouchers, log, waitMs: config.portal.closeWaitSeconds * 1000 }, id),
  });
  const macOf = async (ip: string) => {
    const known = ctx.guests.macOf(ip);
    if (known) return known;
    await ctx.refreshGuests().catch(() => {});
    return ctx.guests.macOf(ip);
  };
  const relayer = gateway && config.chain ? new Relayer(gateway, config.chain.contract, log) : undefined;
  const portal = await startPortal({ config, desk, routerKey: ctx.routerKey, clock: Date.now, log, macOf, relayer });
  const timer = setInterval(() => void desk.enforce().catch((e) => log.error({ err: (e as Error).message }, 'credit check failed')), 1_000);
  return {
    portal, desk,
    async stop() {
      clearInterval(timer);
      pusher?.stop();
      await portal.close();
    },
  };
}
