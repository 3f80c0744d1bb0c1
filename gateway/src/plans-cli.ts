import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QlinkClient } from '../../chain/src/client.js';
import { ChainConfig } from '../../chain/src/config.js';
import { ContractReader } from '../../chain/src/reader.js';
import { account } from '../../chain/src/neon.js';
import { decodePlanTerms, ownerParam, planFileSchema, planSpecsToTerms, termsToPlanSpec } from '../../protocol/src/index.js';
import { loadGatewayConfig } from './config.js';

export const PLANS_USAGE = `usage: qlink-gateway plans publish --file plans.json|/etc/config/qlink --wif-file owner.wif (--config gateway.json | --rpc URL --magic N --contract 0x…)
       qlink-gateway plans list --owner N…|0x… [--ids 1-16] (--config gateway.json | --rpc URL --contract 0x…) [--json]`;

const RATE = /^(\d+(?:\.\d+)?)(kbit|mbit|gbit)$/;
const kbps = (text: string): number => {
  const m = RATE.exec(text.trim().toLowerCase());
  if (!m) throw new Error(`rate ${JSON.stringify(text)}: expected 500kbit, 10mbit, 1gbit`);
  return Math.round(Number(m[1]) * { kbit: 1, mbit: 1_000, gbit: 1_000_000 }[m[2] as 'kbit']);
};

/**
 * Plan sections of a UCI file, the router's /etc/config/qlink included: the
 * router's own options (price_per_mb, price_per_minute, down, up, quota_bytes,
 * minutes, chain_plan) and the chain's (down_kbps, up_kbps, data_cap_bytes,
 * time_cap_seconds, valid_from, valid_until, list zero_rated,
 * zero_rated_without_credit). A plan without chain_plan is its place among
 * the plans, from 1, as the router sells it. Other sections are skipped.
 */
export function plansFromUciText(text: string): unknown[] {
  const plans: Array<Record<string, unknown>> = [];
  let cur: Record<string, unknown> | null = null;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const m = /^(config|option|list)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) throw new Error(`line ${n + 1}: not config, option or list`);
    const value = (m[3] ?? '').trim().replace(/^'(.*)'$|^"(.*)"$/, '$1$2');
    if (m[1] === 'config') {
      cur = m[2] === 'plan' ? { id: plans.length + 1, ...(value ? { name: value } : {}) } : null;
      if (cur) plans.push(cur);
      continue;
    }
    if (!cur) continue;
    const k = m[2]!;
    const set: Record<string, () => unknown> = {
      chain_plan: () => (cur!.id = Number(value)),
      name: () => (cur!.name = value),
      price_per_mb: () => (cur!.pricePerMB = value),
      price_per_minute: () => (cur!.pricePerMinute = value),
      down: () => (cur!.downKbps = kbps(value)),
      up: () => (cur!.upKbps = kbps(value)),
      down_kbps: () => (cur!.downKbps = Number(value)),
      up_kbps: () => (cur!.upKbps = Number(value)),
      quota_bytes: () => (cur!.dataCapBytes = value),
      data_cap_bytes: () => (cur!.dataCapBytes = value),
      minutes: () => (cur!.timeCapSeconds = Number(value) * 60),
      time_cap_seconds: () => (cur!.timeCapSeconds = Number(value)),
      valid_from: () => (cur!.validFrom = value),
      valid_until: () => (cur!.validUntil = value),
      zero_rated: () => (cur!.zeroRated = [...((cur!.zeroRated as string[] | undefined) ?? []), value]),
      zero_rated_without_credit: () => (cur!.zeroRatedWithoutCredit = ['1', 'on', 'true', 'yes'].includes(value)),
      id: () => undefined,
    };
    const f = set[k];
    if (!f) throw new Error(`line ${n + 1}: plan option ${k} unknown`);
    f();
  }
  return plans;
}

/** A plan file as the contract takes it: JSON (a list of plans, or { plans }), else UCI. */
export function readPlanFile(path: string) {
  const text = readFileSync(path, 'utf8');
  const value = /^\s*[[{]/.test(text) ? (JSON.parse(text) as unknown) : plansFromUciText(text);
  const parsed = planFileSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return planSpecsToTerms(parsed.data);
}

function chainOf(v: { config?: string; rpc?: string; magic?: string; contract?: string }): ChainConfig {
  if (v.config) return loadGatewayConfig(v.config).chain;
  return ChainConfig.parse({ rpc: v.rpc, networkMagic: Number(v.magic ?? 0), contract: v.contract });
}

/** `qlink-gateway plans publish|list`; returns the exit code (2: bad usage). */
export async function plansCommand(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        'wif-file': { type: 'string' },
        owner: { type: 'string' },
        ids: { type: 'string' },
        config: { type: 'string' },
        rpc: { type: 'string' },
        magic: { type: 'string' },
        contract: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    out(`${(e as Error).message}\n${PLANS_USAGE}`);
    return 2;
  }
  const {
    values: v,
    positionals: [cmd],
  } = parsed;
  if (v.help || (cmd !== 'publish' && cmd !== 'list') || (!v.config && !(v.rpc && v.contract))) {
    out(PLANS_USAGE);
    return v.help ? 0 : 2;
  }
  if (cmd === 'publish') {
    if (!v.file || !v['wif-file']) {
      out(PLANS_USAGE);
      return 2;
    }
    const plans = readPlanFile(v.file);
    const owner = account(readFileSync(v['wif-file'], 'utf8').trim());
    const client = new QlinkClient(chainOf(v));
    const r = await client.publishPlans(owner, plans);
    if (r.vmstate !== 'HALT') {
      out(`refused: ${r.exception ?? 'FAULT'} (transaction ${r.txid}, fees paid ${r.systemFee + r.networkFee})`);
      return 1;
    }
    const versions = r.events.filter((e) => e.name === 'PlanPublished').map((e) => ({ id: Number(e.params.planId), version: Number(e.params.version) }));
    const result = { owner: owner.address, txid: r.txid, systemFee: String(r.systemFee), networkFee: String(r.networkFee), size: r.size, plans: versions };
    if (v.json) out(JSON.stringify(result));
    else
      for (const p of versions)
        out(
          `plan ${p.id}: version ${p.version} published by ${owner.address} (transaction ${r.txid}, ${Number(r.systemFee + r.networkFee) / 1e8} GAS in fees)`,
        );
    return 0;
  }
  const who = ownerParam.safeParse(v.owner ?? '');
  if (!who.success) {
    out(`--owner: a NEO N3 address or 0x script hash\n${PLANS_USAGE}`);
    return 2;
  }
  const [from, to] = (v.ids ?? '1-16').split('-').map(Number) as [number, number | undefined];
  const ids = Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i).filter((i) => i >= 1 && i <= 255);
  const c = chainOf(v);
  const reader = new ContractReader(c.rpc, c.contract);
  const heads = await Promise.all(ids.map(async (id) => ({ id, head: await reader.getPlan(who.data, id) })));
  const plans = heads.filter((h) => h.head).map(({ id, head }) => ({ version: head!.version, ...termsToPlanSpec(id, decodePlanTerms(head!.terms)) }));
  if (v.json) out(JSON.stringify({ owner: who.data, plans }));
  else if (!plans.length) out(`no plans of ${who.data} among ids ${ids[0]}-${ids[ids.length - 1]}`);
  else
    for (const p of plans)
      out(`plan ${p.id} version ${p.version}: ${p.name}, ${p.pricePerMB} GAS/MB, ${p.pricePerMinute} GAS/min, valid ${p.validFrom}-${p.validUntil}`);
  return 0;
}
