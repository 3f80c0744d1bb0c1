import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isIP } from 'node:net';

const cidrOrIp = z.string().refine((s) => {
  const [addr, len, ...rest] = s.split('/');
  if (rest.length || !addr) return false;
  const fam = isIP(addr);
  if (!fam) return false;
  if (len === undefined) return true;
  const n = Number(len);
  return Number.isInteger(n) && n >= 0 && n <= (fam === 4 ? 32 : 128);
}, 'expected an IP address or CIDR prefix');

const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, 'expected a host name');

/** Networks a guest must never reach: the owner's private and link-local ranges. */
export const DEFAULT_BLOCKED = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10',
];

export const agentConfigSchema = z.object({
  guestInterface: z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, 'expected an interface name').default('br-lan'),
  dataDir: z.string().min(1).default('/etc/qlink'),
  controlSocket: z.string().min(1).default('/var/run/qlink/qlink.sock'),
  leasesFile: z.string().min(1).default('/tmp/dhcp.leases'),
  backend: z.enum(['auto', 'nftables', 'iptables']).default('auto'),
  pollIntervalMs: z.int().min(200).max(60_000).default(2_000),
  portal: z.object({
    port: z.int().min(1).max(65_535).default(8088),
  }).default({ port: 8088 }),
  walledGarden: z.array(z.union([cidrOrIp, hostname])).max(256).default([]),
  blockedNetworks: z.array(cidrOrIp).max(256).default(DEFAULT_BLOCKED),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
}).strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export class ConfigError extends Error {}

/** Formats zod issues as `path: message` lines a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
}

export function parseConfig(value: unknown): AgentConfig {
  const parsed = agentConfigSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`invalid config: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadConfigFile(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseConfig(json);
}
