import type { Server as NetServer } from 'node:net';
import { Retention } from './store/retention.js';
import { answerCommand, type CommandContext } from './commands.js';
import type { AgentConfig } from './config/schema.js';
import { applyLive, planReload, type ReloadPlan } from './config/reload.js';
import { closeControlServer, startControlServer } from './control/server.js';
import type { GateBackend } from './gate/backend.js';
import { buildPolicy, guestAddresses } from './gate/policy.js';
import { gardenNames, GuestResolver } from './gate/held-dns.js';
import { nftsetLines, zeroZones } from './gate/zero-rated.js';
import { leaseBindings } from './guests/bindings.js';
import { nativeReaderPath } from './gate/counter-reader.js';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Gatekeeper } from './gatekeeper.js';
import { offloadWarning } from './gate/offload.js';
import { createShaper } from './shaper/create.js';
import { GuestDiscovery } from './guests/discovery.js';
import { loadOrCreateIdentity } from './identity/router-key.js';
import { systemRunner } from './kernel/system.js';
import type { Logger } from './log.js';
import { startGuestPortal } from './portal/start.js';
import { startLanPage } from './setup/lan-page.js';
import { RegistrationWatch } from './setup/registration.js';
import { defaultSqlDriver } from './store/choose-driver.js';
import { openStore } from './store/db.js';
import { GuestStore } from './store/guests.js';
import { SessionStore } from './store/sessions.js';
import { UsageBatcher } from './usage/batcher.js';
import { UsageRecorder } from './usage/recorder.js';
import { sessionPricing } from './plans/pricing.js';
import { PlanStore } from './plans/store.js';

export interface RunningAgent {
  /** Stops serving. Kernel state is left in place on purpose: guests stay online and counted, the next start adopts it. */
  stop(): Promise<void>;
  /** Applies what can change live (gate policy, poll pace, log level); the plan lists what waits for a restart. */
  reload(next: AgentConfig): Promise<ReloadPlan>;
}

export async function startAgent(
  config: AgentConfig,
  backend: GateBackend,
  log: Logger,
  hooks: { reloadConfig?: () => Promise<unknown> } = {},
): Promise<RunningAgent> {
  const startedAt = Date.now();
  const sqlite = defaultSqlDriver();
  log.info({ sqlite: sqlite.driver.name }, `store: ${sqlite.reason}`);
  const db = openStore(config.dataDir, sqlite.driver);
  const identity = loadOrCreateIdentity(config.dataDir);
  log.info({ address: identity.address, publicKey: identity.publicKey }, 'router identity');
  // Sessions are priced by the plan version their channel was opened under, whose terms are in the store (plans/).
  const planStore = new PlanStore(db);
  const pricingOf = sessionPricing(planStore, () => config.plans);
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: config.usage.recordIntervalMs, pricingOf }));
  const guests = new GuestStore(db);
  const discovery = new GuestDiscovery(systemRunner, config.guestInterface, config.leasesFile, nativeReaderPath(config.nativeCounters));
  // Zero-rated destinations (issue 19) are the nftables gate's: elsewhere they are charged like the rest.
  const zonesNow = () => (backend.zeroRating ? zeroZones(config.plans) : []);
  if (!backend.zeroRating && zeroZones(config.plans).length)
    log.warn({ backend: backend.kind }, 'zero-rated destinations need the nftables backend: charged like the rest');
  const heldZero = () => {
    const kept = zonesNow().filter((z) => z.withoutCredit);
    return { zeroNames: kept.flatMap((z) => z.hosts), zeroSets: nftsetLines(kept, null) };
  };
  // Held guests' DNS answers only the walled garden's names (issue 16); none without dnsmasq.
  const held = GuestResolver.held(
    {
      guestInterface: config.guestInterface,
      gardenNames: gardenNames(config.walledGarden),
      portal: await guestAddresses(systemRunner, config.guestInterface),
      dir: dirname(config.controlSocket),
      ...heldZero(),
    },
    log,
  );
  // Paying guests' DNS passes a resolver that fills the zero-rated sets, only while some plan zero-rates a host name.
  const zoneSets = nftsetLines(zonesNow(), null);
  const paid = zoneSets.length
    ? GuestResolver.paid({ guestInterface: config.guestInterface, dir: dirname(config.controlSocket), zeroSets: zoneSets }, log)
    : null;
  const policyNow = () =>
    buildPolicy(config, log, {
      runner: systemRunner,
      heldDnsPort: held?.port,
      ...(paid ? { paidDnsPort: paid.port } : {}),
      zeroZones: zonesNow(),
    });
  let policy = await policyNow();
  const shaper = await createShaper(config, systemRunner, log);
  const gatekeeper = new Gatekeeper(backend, sessions, policy, log, Date.now, {
    shaper,
    idleTimeoutMs: config.idleTimeoutSeconds === null ? null : config.idleTimeoutSeconds * 1000,
    zoneOf: (plan) => zonesNow().find((z) => z.plan === plan)?.zone ?? null,
  });
  const offload = await offloadWarning(systemRunner, config.guestInterface);
  if (offload) log.error(offload);

  const refreshGuests = async () => {
    const seen = await discovery.sightings(Date.now());
    guests.record(seen, Date.now());
    await gatekeeper.setBindings(leaseBindings(seen));
  };
  await refreshGuests();
  // A new lease is bound within milliseconds, not at the next poll.
  const leaseWatch = discovery.watchLeases(() => void refreshGuests().catch((e) => log.warn({ err: (e as Error).message }, 'lease refresh failed')));
  await gatekeeper.start();
  await gatekeeper.setGuestPorts(await discovery.bridgePorts());

  const ctx: CommandContext = {
    config,
    gatekeeper,
    sessions,
    guests,
    identity,
    backendKind: backend.kind,
    startedAt,
    refreshGuests,
    clock: Date.now,
    shaper: shaper?.info ?? null,
    warnings: offload ? [offload] : [],
    // The firewall include calls this after fw4 (re)loads: re-assert the table now, not at the next rule check.
    repair: () => gatekeeper.setPolicy(policy),
  };
  // Without a deployment to bind signatures to, records wait unbatched until one is configured.
  const batcher = config.chain ? new UsageBatcher(db, identity, config.chain) : undefined;
  // Loaded only when configured: the MQTT client is the agent's largest module (about 15 MB of RSS, measured).
  const uplink = config.uplink ? (await import('./uplink/start.js')).startUplink(config.uplink, ctx, db, log, hooks.reloadConfig) : undefined;
  const seal = () => {
    try {
      if (batcher && batcher.sealAll(Date.now(), config.usage.maxRecordsPerBatch)) uplink?.pump();
    } catch (e) {
      log.error({ err: (e as Error).message }, 'sealing usage batches failed; retrying next interval');
    }
  };
  const sealTimer = setInterval(seal, config.usage.batchIntervalMs);
  // Guests' traces older than retentionDays go, hourly and at start (docs/privacy.md).
  const retention = new Retention(db);
  const prune = () => {
    try {
      const gone = retention.prune(Date.now(), config.retentionDays);
      if (Object.values(gone).some((n) => n > 0)) log.info({ ...gone, days: config.retentionDays }, 'old guest data pruned');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'pruning old guest data failed; retrying in an hour');
    }
  };
  prune();
  const pruneTimer = setInterval(prune, 3_600_000);
  // Spoofed and stale neighbours go within minutes, not days: a guest inventing MACs fills flash for at most staleGuestMinutes.
  const pruneStale = () => {
    try {
      const gone = retention.pruneStale(Date.now(), config.staleGuestMinutes * 60_000, config.maxGuests);
      if (gone.guests + gone.addresses > 0) log.info(gone, 'stale guest entries pruned');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'pruning stale guest entries failed; retrying in a minute');
    }
  };
  const staleTimer = setInterval(pruneStale, 60_000);
  // What a crash left cut but unsealed goes now: an agent restarting more often than the interval would never seal it.
  seal();
  if (!batcher) log.warn('chain (networkMagic, contract) not configured: usage records are kept but not batched');

  const guestPortal = await startGuestPortal({
    config,
    db,
    gatekeeper,
    sessions,
    guests,
    log,
    routerKey: identity.publicKey,
    refreshGuests,
    gateway: uplink?.gateway,
    planStore,
    pricingOf,
  });
  ctx.plans = guestPortal.plans;
  // The owner's first ten minutes: the router's record followed on chain, its registration link on the owner's LAN.
  const registration = guestPortal.channels ? new RegistrationWatch(guestPortal.channels, log, (config.setup?.pollSeconds ?? 10) * 1000) : undefined;
  registration?.start();
  if (registration) ctx.registration = () => registration.state;
  const macOf = async (ip: string) => guests.macOf(ip) ?? (await refreshGuests().catch(() => {}), guests.macOf(ip));
  // A LAN address not up yet must not keep guests out: the page is logged as missing, the rest runs.
  const lanPage =
    config.setup && config.chain
      ? await startLanPage({
          config,
          identity,
          log,
          macOf,
          registration: () => registration?.state ?? { registered: null, owner: null, checkedAt: null, error: 'paying is off' },
        }).catch((e: Error) => {
          log.error({ err: e.message, listen: config.setup!.listen }, 'setup page not served (is the LAN address up?); qlink status still shows the link');
          return undefined;
        })
      : undefined;
  const control: NetServer = await startControlServer(config.controlSocket, (req) => answerCommand(ctx, req), log);

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let policyCheckedAt = Date.now();
  const tick = async () => {
    try {
      await refreshGuests();
      await gatekeeper.poll();
      await gatekeeper.setGuestPorts(await discovery.bridgePorts());
      // The owner's prefixes can change under a running agent (a delegated IPv6 prefix arriving late).
      if (Date.now() - policyCheckedAt > 30_000) {
        policyCheckedAt = Date.now();
        const next = await policyNow();
        if (!isDeepStrictEqual(next, policy)) {
          policy = next;
          await gatekeeper.setPolicy(policy);
        }
      }
    } catch (e) {
      log.error({ err: (e as Error).message }, 'poll failed; retrying next interval');
    }
    if (!stopping) timer = setTimeout(tick, config.pollIntervalMs);
  };
  timer = setTimeout(tick, config.pollIntervalMs);
  log.info({ backend: backend.kind, guestInterface: config.guestInterface, portalPort: config.portal.port }, 'agent ready');

  return {
    async reload(next) {
      const plan = planReload(config, next);
      applyLive(config, next, plan);
      log.level = config.logLevel;
      if (plan.live.some((k) => k === 'walledGarden' || k === 'blockedNetworks')) {
        held?.update(gardenNames(config.walledGarden), await guestAddresses(systemRunner, config.guestInterface), heldZero());
        policy = await policyNow();
        await gatekeeper.setPolicy(policy);
      }
      return plan;
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      leaseWatch?.close();
      held?.stop();
      paid?.stop();
      clearInterval(sealTimer);
      clearInterval(pruneTimer);
      clearInterval(staleTimer);
      closeControlServer(control, config.controlSocket);
      registration?.stop();
      await lanPage?.close();
      await guestPortal.stop();
      await gatekeeper.poll().catch(() => {});
      seal();
      await uplink?.stop();
      db.close();
    },
  };
}
