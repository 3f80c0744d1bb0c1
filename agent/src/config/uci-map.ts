import { readFileSync } from 'node:fs';
import { agentConfigSchema, ConfigError, type AgentConfig } from './schema.js';
import { convert, UCI_FIELDS, UCI_SECTIONS, uciNameOf } from './uci-fields.js';
import { planNameOf, plansFromUci } from './uci-plans.js';
import { parseUci, sectionLabel, UciSyntaxError, type UciPackage } from './uci-parse.js';

type Obj = Record<string, unknown>;

function setPath(target: Obj, path: readonly string[], value: unknown): void {
  let o = target;
  for (const key of path.slice(0, -1)) o = (o[key] ??= {}) as Obj;
  o[path[path.length - 1]!] = value;
}

/**
 * Turns a parsed /etc/config/qlink into the object agentConfigSchema checks.
 * Every problem is collected, not just the first, and named the way `uci show`
 * names it, so the owner can fix them all in one edit.
 */
export function uciToObject(pkg: UciPackage): { value: Obj; problems: string[]; planLabels: string[] } {
  const value: Obj = {};
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const plans = plansFromUci(
    pkg.sections.filter((s) => s.type === 'plan'),
    problems,
  );
  if (plans.plans.length) value.plans = plans.plans;
  for (const s of pkg.sections.filter((x) => x.type !== 'plan')) {
    const label = sectionLabel('qlink', s);
    if (!UCI_SECTIONS.includes(s.type)) {
      problems.push(`${label}: unknown section type '${s.type}' (line ${s.line}; known: ${UCI_SECTIONS.join(', ')}, plan)`);
      continue;
    }
    const first = seen.get(s.type);
    if (first) {
      problems.push(`${label}: a second '${s.type}' section (line ${s.line}); ${first} is the one that counts`);
      continue;
    }
    seen.set(s.type, label);
    for (const [option, opt] of s.options) {
      const field = UCI_FIELDS.find((x) => x.section === s.type && x.option === option);
      if (!field) {
        problems.push(`qlink.${s.type}.${option}: unknown option (line ${opt.line})`);
        continue;
      }
      const conv = convert(field.kind, opt.value);
      if (!conv.ok) problems.push(`qlink.${s.type}.${option}: ${conv.reason} (line ${opt.line})`);
      else if (field.path) setPath(value, field.path, conv.value);
    }
  }
  return { value, problems, planLabels: plans.labels };
}

/** Parses UCI text to a validated AgentConfig, or throws a ConfigError naming each bad qlink.<section>.<option>. */
export function parseUciConfig(text: string, file: string): AgentConfig {
  let pkg: UciPackage;
  try {
    pkg = parseUci(text, file);
  } catch (e) {
    if (e instanceof UciSyntaxError) throw new ConfigError(`config ${e.message}`);
    throw e;
  }
  const { value, problems, planLabels } = uciToObject(pkg);
  if (problems.length) throw new ConfigError(`invalid config ${file}: ${problems.join('; ')}`);
  const parsed = agentConfigSchema.safeParse(value);
  if (!parsed.success) {
    const name = (path: readonly PropertyKey[]) => (path[0] === 'plans' ? planNameOf(path, planLabels) : uciNameOf(path));
    const lines = parsed.error.issues.map((i) => `${name(i.path)}: ${i.message}`);
    throw new ConfigError(`invalid config ${file}: ${lines.join('; ')}`);
  }
  return parsed.data;
}

export function loadUciFile(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseUciConfig(text, path);
}
