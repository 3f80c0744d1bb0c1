import type { AgentConfig } from '../config/schema.js';
import type { RouterIdentity } from '../identity/router-key.js';
import { chainPlanOf, planTerms } from '../plans.js';
import { claimMessage, registrationUrl, termsToPlanSpec, toHex, type PlanSpec } from '../../../protocol/src/index.js';

/** How long a claim the router signs stays valid: long enough to finish in the wallet, short enough that an old link is dead. */
export const CLAIM_TTL_MS = 3_600_000;

type Setup = NonNullable<AgentConfig['setup']>;

/** The router's claim page on the owner's LAN (an IPv6 listen address in brackets). */
export const claimPageUrl = (s: Setup): string => `http://${s.listen.includes(':') ? `[${s.listen}]` : s.listen}:${s.port}/claim`;

/** The UCI plans as the plans the link offers to publish, one per chain plan id (the first UCI plan that names it). */
export function offeredPlans(config: AgentConfig): PlanSpec[] {
  const seen = new Set<number>();
  const out: PlanSpec[] = [];
  for (const p of config.plans) {
    const id = chainPlanOf(config.plans, p);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(termsToPlanSpec(id, planTerms(p)));
  }
  return out;
}

/** The registration link: the gateway's page with the router's key, its plans, and its claim page; nothing secret. */
export function registrationLink(config: AgentConfig, identity: Pick<RouterIdentity, 'publicKey'>): string | null {
  const s = config.setup;
  if (!s) return null;
  return registrationUrl({ gatewayUrl: s.gatewayUrl, router: identity.publicKey, plans: offeredPlans(config), lan: claimPageUrl(s) });
}

/** The router's claim for `owner` (0x script hash), valid CLAIM_TTL_MS from `now`: what registerRouter checks. */
export function signClaim(
  config: AgentConfig,
  identity: Pick<RouterIdentity, 'publicKey' | 'sign'>,
  owner: string,
  now: number,
): { until: bigint; sig: string } {
  const chain = config.chain;
  if (!chain) throw new Error('chain (networkMagic, contract) is not configured: a claim is signed for one deployment');
  const until = BigInt(now + CLAIM_TTL_MS);
  return { until, sig: toHex(identity.sign(claimMessage({ networkMagic: chain.networkMagic, contract: chain.contract }, identity.publicKey, owner, until))) };
}

/** The link with the router's claim for `owner`. */
export function claimedLink(config: AgentConfig, identity: Pick<RouterIdentity, 'publicKey' | 'sign'>, owner: string, now: number): string {
  const s = config.setup;
  if (!s) throw new Error('setup is not configured');
  return registrationUrl({
    gatewayUrl: s.gatewayUrl,
    router: identity.publicKey,
    plans: offeredPlans(config),
    lan: claimPageUrl(s),
    claim: { owner, ...signClaim(config, identity, owner, now) },
  });
}
