import type { AgentConfig } from './config/schema.js';
import type { ClientView, Request } from './control/protocol.js';
import { UserError } from './control/protocol.js';
import type { Gatekeeper } from './gatekeeper.js';
import type { RouterIdentity } from './identity/router-key.js';
import { resolveGuest } from './guests/resolve.js';
import type { GuestStore } from './store/guests.js';
import type { Plan } from './plans.js';
import type { PlanBook } from './plans/book.js';
import { planDrift } from './plans/offer.js';
import type { ShaperInfo } from './shaper/shaper.js';
import type { Session, SessionStore } from './store/sessions.js';
import { offeredPlans, registrationLink, signClaim } from './setup/link.js';
import type { RegistrationState } from './setup/registration.js';

/** How long a guest stays listed after the router last saw it. */
const PRESENCE_MS = 10 * 60_000;

export interface CommandContext {
  config: AgentConfig;
  gatekeeper: Gatekeeper;
  sessions: SessionStore;
  guests: GuestStore;
  identity: RouterIdentity;
  backendKind: string;
  startedAt: number;
  refreshGuests(): Promise<void>;
  shaper: ShaperInfo | null;
  /** Conditions the owner must fix, such as flow offloading on the guest interface. */
  warnings: string[];
  /** The owner's plans on chain, once the portal is up. */
  plans?: PlanBook;
  /** Re-asserts the kernel gate at once (after a firewall reload). */
  repair(): Promise<void>;
  clock(): number;
  /** The router's record on chain as last read, and its registration link (setup configured). */
  registration?: () => RegistrationState;
}

export async function answerCommand(ctx: CommandContext, req: Request): Promise<unknown> {
  switch (req.cmd) {
    case 'status': {
      // Never waits for the chain or the gateway: the list last read, and a read started if it is old.
      void ctx.plans?.current().catch(() => {});
      return status(ctx, ctx.plans?.last() ?? null);
    }
    case 'identity':
      return { address: ctx.identity.address, publicKey: ctx.identity.publicKey, scriptHash: `0x${ctx.identity.scriptHash}` };
    case 'clients':
      // Counters are read on demand too, so a caller sees bytes to the moment, not to the last poll.
      await ctx.gatekeeper.poll();
      return clients(ctx);
    case 'auth': {
      const plan = findPlan(ctx, req.plan);
      const mac = await resolveFresh(ctx, req.guest);
      const now = ctx.clock();
      const minutes = req.minutes ?? plan?.minutes;
      await ctx.gatekeeper.auth(mac, {
        endsAt: minutes ? now + minutes * 60_000 : null,
        quotaBytes: req.quotaBytes ?? plan?.quotaBytes ?? null,
        plan: plan?.id ?? null,
        downBps: req.down ?? plan?.down ?? null,
        upBps: req.up ?? plan?.up ?? null,
      });
      return clientView(ctx, mac, now);
    }
    case 'set-rate': {
      const mac = await resolveFresh(ctx, req.guest);
      const open = ctx.sessions.openFor(mac);
      if (open?.state !== 'active') throw new UserError(`guest ${mac} has no session`);
      const pick = (v: number | 'none' | undefined, was: number | null) => (v === undefined ? was : v === 'none' ? null : v);
      await ctx.gatekeeper.setRates(mac, pick(req.down, open.downBps), pick(req.up, open.upBps));
      return clientView(ctx, mac, ctx.clock());
    }
    case 'repair':
      await ctx.repair();
      return { repaired: true, gate: ctx.gatekeeper.health };
    case 'claim': {
      if (!ctx.config.chain) throw new UserError('chain (networkMagic, contract) is not configured: a claim is signed for one deployment');
      const c = signClaim(ctx.config, ctx.identity, req.owner, ctx.clock());
      return {
        router: ctx.identity.publicKey,
        owner: req.owner,
        until: c.until.toString(),
        sig: c.sig,
        plans: offeredPlans(ctx.config),
        networkMagic: ctx.config.chain.networkMagic,
        contract: ctx.config.chain.contract,
        rpcUrl: ctx.config.portal.rpcUrl ?? null,
      };
    }
    case 'deauth': {
      const mac = await resolveFresh(ctx, req.guest);
      const ended = await ctx.gatekeeper.deauth(mac, 'deauth');
      if (!ended) throw new UserError(`guest ${mac} has no session`);
      return { mac, sessionId: ended.id, bytesDown: ended.bytesDown, bytesUp: ended.bytesUp, endReason: ended.endReason };
    }
  }
}

function findPlan(ctx: CommandContext, id: string | undefined): Plan | undefined {
  if (id === undefined) return undefined;
  const plan = ctx.config.plans.find((p) => p.id === id);
  if (!plan) {
    const known = ctx.config.plans.map((p) => p.id).join(', ') || 'none configured';
    throw new UserError(`unknown plan ${JSON.stringify(id)} (plans: ${known})`);
  }
  return plan;
}

/** A guest that joined a moment ago may not be in the store yet: look again before saying "unknown". */
async function resolveFresh(ctx: CommandContext, text: string): Promise<string> {
  try {
    return resolveGuest(text, ctx.guests);
  } catch (e) {
    if (!(e instanceof UserError) || !/^unknown/.test(e.message)) throw e;
    await ctx.refreshGuests();
    return resolveGuest(text, ctx.guests);
  }
}

function status(ctx: CommandContext, plans: ReturnType<PlanBook['last']>) {
  const now = ctx.clock();
  const open = ctx.sessions.open();
  return {
    version: 1,
    pid: process.pid,
    uptimeSeconds: Math.round((now - ctx.startedAt) / 1000),
    backend: ctx.backendKind,
    guestInterface: ctx.config.guestInterface,
    sessions: open.filter((s) => s.state === 'active' && !s.zeroOnly).length,
    guests: ctx.guests.seenSince(now - PRESENCE_MS).length,
    gate: ctx.gatekeeper.health,
    shaping: ctx.shaper,
    warnings: ctx.warnings,
    // What guests are sold and charged: the chain's current versions; UCI plans that differ are listed under drift.
    plans: plans && {
      owner: plans.owner,
      readAt: plans.readAt,
      stale: plans.stale,
      onChain: plans.plans.map((p) => ({
        planId: p.planId,
        version: p.version,
        name: p.terms.name,
        pricePerMB: p.terms.pricePerMB.toString(),
        pricePerMinute: p.terms.pricePerMinute.toString(),
      })),
      drift: planDrift(ctx.config.plans, plans.plans),
    },
    registration: registrationStatus(ctx),
  };
}

/** Registered or not (null: not read yet, or nothing to read it with), and the link the owner registers with. */
function registrationStatus(ctx: CommandContext) {
  const r = ctx.registration?.();
  return {
    registered: r?.registered ?? null,
    owner: r?.owner ?? null,
    checkedAt: r?.checkedAt ?? null,
    error: r?.error ?? null,
    link: r?.registered ? null : registrationLink(ctx.config, ctx.identity),
    lanPage: ctx.config.setup
      ? `http://${ctx.config.setup.listen.includes(':') ? `[${ctx.config.setup.listen}]` : ctx.config.setup.listen}:${ctx.config.setup.port}/`
      : null,
  };
}

function clients(ctx: CommandContext): ClientView[] {
  const now = ctx.clock();
  const macs = new Set(ctx.guests.seenSince(now - PRESENCE_MS).map((g) => g.mac));
  for (const s of ctx.sessions.open()) macs.add(s.mac);
  return [...macs].sort().map((mac) => clientView(ctx, mac, now));
}

function clientView(ctx: CommandContext, mac: string, now: number): ClientView {
  const addrs = ctx.guests.addresses(mac);
  const s: Session | undefined = ctx.sessions.openFor(mac);
  const active = s?.state === 'active' ? s : undefined;
  return {
    mac,
    hostname: ctx.guests.hostname(mac) ?? null,
    ip4: addrs.find((a) => a.family === 4)?.ip ?? null,
    ip6: addrs.filter((a) => a.family === 6 && !a.ip.startsWith('fe80:')).map((a) => a.ip),
    state: active && !active.zeroOnly ? 'authorized' : 'pending',
    sessionId: active?.id ?? null,
    bytesDown: active?.bytesDown ?? 0,
    bytesUp: active?.bytesUp ?? 0,
    startedAt: active?.startedAt ?? null,
    secondsLeft: active?.endsAt ? Math.max(0, Math.round((active.endsAt - now) / 1000)) : null,
    bytesLeft: active?.quotaBytes ? Math.max(0, active.quotaBytes - active.bytesDown - active.bytesUp) : null,
    plan: active?.plan ?? null,
    downBps: active?.downBps ?? null,
    upBps: active?.upBps ?? null,
    zeroDown: active?.zeroDown ?? 0,
    zeroUp: active?.zeroUp ?? 0,
    zeroOnly: active?.zeroOnly ?? false,
  };
}
