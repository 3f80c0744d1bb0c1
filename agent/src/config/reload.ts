import { isDeepStrictEqual } from 'node:util';
import type { AgentConfig } from './schema.js';

/** What a running agent can take on without a restart: the gate policy, the poll pace and the log level. */
export const LIVE_KEYS = ['walledGarden', 'blockedNetworks', 'pollIntervalMs', 'logLevel'] as const;

export type LiveKey = (typeof LIVE_KEYS)[number];

export interface ReloadPlan {
  /** Live keys whose values differ. */
  live: LiveKey[];
  /** Other keys that differ: they take effect on the next start (`/etc/init.d/qlink restart`). */
  restart: string[];
}

export function planReload(current: AgentConfig, next: AgentConfig): ReloadPlan {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]) as Set<keyof AgentConfig>;
  const changed = [...keys].filter((k) => !isDeepStrictEqual(current[k], next[k]));
  return {
    live: changed.filter((k): k is LiveKey => (LIVE_KEYS as readonly string[]).includes(k)),
    restart: changed.filter((k) => !(LIVE_KEYS as readonly string[]).includes(k)).sort(),
  };
}

/** Copies the live keys into the running config object, which the daemon's timers and commands read each time. */
export function applyLive(current: AgentConfig, next: AgentConfig, plan: ReloadPlan): void {
  const target = current as Record<LiveKey, unknown>;
  for (const k of plan.live) target[k] = next[k];
}
