import { convert, type UciKind } from './uci-fields.js';
import { sectionLabel, type UciSection } from './uci-parse.js';

/**
 * Plans are the one repeated section of /etc/config/qlink: each `config plan`
 * (named or anonymous) is one entry of `plans`. A named section's name is its
 * id unless it sets `option id`.
 */
const PLAN_OPTIONS: Record<string, { key: string; kind: UciKind }> = {
  id: { key: 'id', kind: 'string' },
  name: { key: 'name', kind: 'string' },
  price_per_mb: { key: 'pricePerMb', kind: 'string' },
  price_per_minute: { key: 'pricePerMinute', kind: 'string' },
  down: { key: 'down', kind: 'string' },
  up: { key: 'up', kind: 'string' },
  quota_bytes: { key: 'quotaBytes', kind: 'int' },
  minutes: { key: 'minutes', kind: 'int' },
  chain_plan: { key: 'chainPlan', kind: 'int' },
  zero_rated: { key: 'zeroRated', kind: 'list' },
  zero_rated_without_credit: { key: 'zeroRatedWithoutCredit', kind: 'bool' },
};

export function plansFromUci(sections: readonly UciSection[], problems: string[]): { plans: Record<string, unknown>[]; labels: string[] } {
  const plans: Record<string, unknown>[] = [];
  const labels: string[] = [];
  for (const s of sections) {
    const label = sectionLabel('qlink', s);
    const plan: Record<string, unknown> = s.name === undefined ? {} : { id: s.name };
    for (const [option, opt] of s.options) {
      const spec = PLAN_OPTIONS[option];
      if (!spec) {
        problems.push(`${label}.${option}: unknown option (line ${opt.line}; known: ${Object.keys(PLAN_OPTIONS).join(', ')})`);
        continue;
      }
      const conv = convert(spec.kind, opt.value);
      if (conv.ok) plan[spec.key] = conv.value;
      else problems.push(`${label}.${option}: ${conv.reason} (line ${opt.line})`);
    }
    plans.push(plan);
    labels.push(label);
  }
  return { plans, labels };
}

/** `qlink.hour.price_per_mb` for a schema path ['plans', 0, 'pricePerMb']. */
export function planNameOf(path: readonly PropertyKey[], labels: readonly string[]): string {
  const label = typeof path[1] === 'number' ? labels[path[1]] : undefined;
  if (!label) return 'qlink.@plan';
  const option = Object.entries(PLAN_OPTIONS).find(([, v]) => v.key === path[2])?.[0];
  return option ? `${label}.${option}` : label;
}
