import type { Server as NetServer } from 'node:net';
import { runCommand, type CommandContext } from './commands.js';
import type { AgentConfig } from './config.js';
import { applyLive, planReload, type ReloadPlan } from './config/reload.js';
import { closeControlServer, startControlServer } from './control/server.js';
import type { GateBackend } from './gate/backend.js';
import { buildPolicy } from './gate/policy.js';
import { Gatekeeper } from './gatekeeper.js';
import { offloadWarning } from './gate/offload.js';
import { createShaper } from './shaper/create.js';
import { GuestDiscovery } from './guests/discovery.js';
import { loadOrCreateIdentity } from './identity/router-key.js';
import { systemRunner } from './kernel/run.js';
import type { Logger } from './log.js';
import { startGuestPortal } from './portal/start.js';
import { openStore } from './store/db.js';
import { GuestStore } from './store/guests.js';
import { SessionStore } from './store/sessions.js';
import { UsageBatcher } from './usage/batcher.js';
import { UsageRecorder } from './usage/recorder.js';

export interface RunningAgent {
  /** Stops serving. Kernel state is left in place on purpose: guests stay online and counted, the next start adopts it. */
  stop(): Promise<void>;
  /** Applies what can change live (gate policy, poll pace, log level); the plan lists what waits for a restart. */
  reload(next: AgentConfig): Promise<ReloadPlan>;
}

export async function startAgent(config: AgentConfig, backend: GateBackend, log: Logger,
  hooks: { reloadConfig?: () => Promise<unknown> } = {}): Promise<RunningAgent> {
  const startedAt = Date.now();
  const db = openStore(config.dataDir);
  const identity = loadOrCreateIdentity(config.dataDir);
  log.info({ address: identity.address, publicKey: identity.publicKey }, 'router identity');
  const sessions = new SessionStore(db, new UsageRecorder(db, {
    intervalMs: config.usage.recordIntervalMs,
    planOf: (id) => config.plans.find((p) => p.id === id),
  }));
  const guests = new GuestStore(db);
  const discovery = new GuestDiscovery(systemRunner, config.guestInterface, config.leasesFile);
  let policy = await buildPolicy(config, log);
  const shaper = await createShaper(config, systemRunner, log);
  const gatekeeper = new Gatekeeper(backend, sessions, policy, log, Date.now, {
    shaper,
    idleTimeoutMs: config.idleTimeoutSeconds === null ? null : config.idleTimeoutSeconds * 1000,
  });
  const offload = await offloadWarning(systemRunner, config.guestInterface);
  if (offload) log.error(offload);

  const refreshGuests = async () => guests.record(await discovery.sightings(Date.now()), Date.now());
  await refreshGuests();
  await gatekeeper.start();
  await gatekeeper.setGuestPorts(await discovery.bridgePorts());

  const ctx: CommandContext = {
    config, gatekeeper, sessions, guests, identity, backendKind: backend.kind, startedAt, refreshGuests, clock: Date.now,
    shaper: shaper?.info ?? null, warnings: offload ? [offload] : [],
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
  // What a crash left cut but unsealed goes now: an agent restarting more often than the interval would never seal it.
  seal();
  if (!batcher) log.warn('chain (networkMagic, contract) not configured: usage records are kept but not batched');

  const guestPortal = await startGuestPortal({ config, db, gatekeeper, sessions, guests, log, routerKey: identity.publicKey, refreshGuests, gateway: uplink?.gateway });
  const control: NetServer = await startControlServer(config.controlSocket, (req) => runCommand(ctx, req), log);

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      await refreshGuests();
      await gatekeeper.poll();
      await gatekeeper.setGuestPorts(await discovery.bridgePorts());
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
        policy = await buildPolicy(config, log);
        await gatekeeper.setPolicy(policy);
      }
      return plan;
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      clearInterval(sealTimer);
      closeControlServer(control, config.controlSocket);
      await guestPortal.stop();
      await gatekeeper.poll().catch(() => {});
      seal();
      await uplink?.stop();
      db.close();
    },
  };
}
