import type { AgentConfig } from '../config/schema.js';
import type { Gatekeeper } from '../gatekeeper.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/driver.js';
import type { GuestStore } from '../store/guests.js';
import type { SessionStore } from '../store/sessions.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { FetchJsonRpc } from '../../../chain/src/json-rpc.js';
import { ContractReader } from '../../../chain/src/reader.js';
import { ChainChannelSource } from '../vouchers/chain-source.js';
import type { ChannelSource, ReadGuard } from '../vouchers/channel-source.js';
import { currentGuest } from '../limits/guest.js';
import { GuestLimits } from '../limits/guest-limits.js';
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
import { WalletDesk } from './wallet.js';
import { PlanBook, type OfferedPlans } from '../plans/book.js';
import { planDrift } from '../plans/offer.js';
import { sessionPricing, type PricingOf } from '../plans/pricing.js';
import { PlanStore } from '../plans/store.js';
import type { Plan } from '../plans.js';

/** A UCI plan the chain's current version prices otherwise is logged: guests pay the chain's terms, not these. */
function reportDrift(uci: readonly Plan[], p: OfferedPlans, log: Logger): void {
  for (const d of planDrift(uci, p.plans)) {
    log.warn(
      { plan: d.plan, chainPlan: d.chainPlan, chainVersion: d.chainVersion, differs: d.differs },
      d.chainVersion === null
        ? 'UCI plan not published on chain: not sold (publish it: qlink-gateway plans publish)'
        : "UCI plan differs from the chain's terms: guests pay the chain's",
    );
  }
}

export interface PortalContext {
  config: AgentConfig;
  db: Db;
  gatekeeper: Gatekeeper;
  sessions: SessionStore;
  guests: GuestStore;
  log: Logger;
  routerKey: string;
  refreshGuests(): Promise<void>;
  /** The gateway's channel service, when the uplink is configured. */
  gateway?: GatewayRpc;
  /** Tests pass an in-memory one; otherwise chosen by portal.channels. */
  channels?: ChannelSource;
  /** The daemon's, shared with the usage recorder; else made here on ctx.db. */
  planStore?: PlanStore;
  pricingOf?: PricingOf;
}

export interface RunningGuestPortal {
  portal: RunningPortal;
  desk: PaymentDesk;
  /** Where channels (and the router's own record) are read; undefined when paying is off. */
  channels?: ChannelSource;
  plans: PlanBook;
  stop(): Promise<void>;
}

/** Where channels are read (portal.channels): the gateway, the chain, or the gateway with the chain standing in. */
async function chooseChannelSource(ctx: PortalContext, servedOnlyHere: (id: bigint) => boolean, guard: ReadGuard): Promise<ChannelSource | undefined> {
  const { config, gateway } = ctx;
  const chainConfig = config.chain;
  if (!chainConfig) return undefined;
  const mode = config.portal.channels === 'auto' ? (gateway ? 'gateway' : 'chain') : config.portal.channels;
  const chain = async () => {
    if (!config.portal.rpcUrl) return undefined;
    return new ChainChannelSource(new ContractReader(config.portal.rpcUrl, chainConfig.contract), ctx.routerKey, Date.now, guard);
  };
  if (mode === 'chain') return chain();
  if (!gateway) return undefined;
  const viaGateway = new GatewayChannelSource(gateway, Date.now, guard);
  const direct = await chain();
  return direct ? new FallbackChannelSource(viaGateway, direct, servedOnlyHere, ctx.log) : viaGateway;
}

/** Wires the portal: vouchers only when a deployment and a way to read channels are configured. */
export async function startGuestPortal(ctx: PortalContext): Promise<RunningGuestPortal> {
  const { config, log, gateway } = ctx;
  const limits = config.portal.limits;
  const guestLimits = new GuestLimits(limits);
  // A channel read for a guest's request counts against that guest's look-ups; a miss is remembered briefly.
  const guard: ReadGuard = { missTtlMs: limits.missCacheSeconds * 1000, beforeRead: () => guestLimits.chargeIf('lookups', currentGuest()) };
  const vouchers = new VoucherStore(ctx.db);
  const planStore = ctx.planStore ?? new PlanStore(ctx.db);
  const ledger = new ChannelLedger(ctx.db, ctx.pricingOf ?? sessionPricing(planStore, () => config.plans));
  const servedOnlyHere = (id: bigint) => vouchers.newest(id) !== undefined && ledger.elsewhere(id) === 0n;
  const source = ctx.channels ?? (await chooseChannelSource(ctx, servedOnlyHere, guard));
  const plans = new PlanBook(planStore, source, { log });
  plans.onChange((p) => reportDrift(config.plans, p, log));
  const checker =
    source && config.chain
      ? new VoucherChecker(
          {
            deployment: { networkMagic: config.chain.networkMagic, contract: config.chain.contract },
            routerKey: ctx.routerKey,
            owner: config.portal.owner,
            expiryMarginMs: config.portal.expiryMarginSeconds * 1000,
            keyRecheckMs: limits.keyRecheckSeconds * 1000,
          },
          source,
          vouchers,
        )
      : undefined;
  if (!checker) log.warn('portal: paying is off (needs chain, and portal.rpcUrl or the uplink)');
  else
    log.info(
      { channels: source instanceof ChainChannelSource ? 'chain' : source instanceof FallbackChannelSource ? 'gateway, chain as fallback' : 'gateway' },
      'portal: paying is on',
    );
  const pusher = gateway ? new VoucherPusher(vouchers, gateway, log) : undefined;
  pusher?.start();
  const desk = new PaymentDesk({
    config,
    gatekeeper: ctx.gatekeeper,
    sessions: ctx.sessions,
    log,
    clock: Date.now,
    checker,
    vouchers,
    ledger,
    channels: source,
    plans,
    onVoucher: () => void pusher?.nudge(),
    close: (id) => closeAtLogout({ gateway, channels: source, vouchers, log, waitMs: config.portal.closeWaitSeconds * 1000 }, id),
    routerKey: ctx.routerKey,
  });
  const macOf = async (ip: string) => {
    const known = ctx.guests.macOf(ip);
    if (known) return known;
    await ctx.refreshGuests().catch(() => {});
    return ctx.guests.macOf(ip);
  };
  const relayer = gateway && config.chain ? new Relayer(gateway, config.chain.contract, log) : undefined;
  const wallet =
    config.chain && (gateway || config.portal.rpcUrl)
      ? new WalletDesk({ gateway, chainRpc: config.portal.rpcUrl ? new FetchJsonRpc(config.portal.rpcUrl) : undefined, contract: config.chain.contract, log })
      : undefined;
  const portal = await startPortal({
    config,
    desk,
    routerKey: ctx.routerKey,
    clock: Date.now,
    log,
    macOf,
    relayer,
    wallet,
    guestLimits,
    connectionKey: (ip) => ctx.guests.macOf(ip) ?? ip,
  });
  const timer = setInterval(() => void desk.enforce().catch((e) => log.error({ err: (e as Error).message }, 'credit check failed')), 1_000);
  // The first read now, so the page lists plans at once and a UCI plan the chain prices otherwise is logged at start.
  void plans.current();
  return {
    portal,
    desk,
    channels: source,
    plans,
    async stop() {
      clearInterval(timer);
      pusher?.stop();
      await portal.close();
    },
  };
}
