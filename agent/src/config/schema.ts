import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isIP } from 'node:net';
import { plansSchema } from '../plans.js';
import { PORTAL_DEFAULTS, portalConfigSchema } from '../portal/config.js';
import { rateSchema } from '../shaper/rate.js';
import { WALLET_HOSTS } from './wallet-hosts.js';

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
export const DEFAULT_BLOCKED = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'];

const usageSchema = z
  .object({
    /** Length of one usage record's interval. */
    recordIntervalMs: z.int().min(1_000).max(3_600_000).default(60_000),
    /** How often unbatched records are sealed into a signed batch. */
    batchIntervalMs: z.int().min(1_000).max(3_600_000).default(60_000),
    maxRecordsPerBatch: z.int().min(1).max(10_000).default(1_000),
  })
  .strict();

/** The deployment a batch signature is bound to (the contract's anchor message names both). */
const chainSchema = z
  .object({
    networkMagic: z.int().min(0).max(0xffff_ffff),
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a script hash like 0x + 40 hex digits'),
  })
  .strict();

const uplinkSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
    username: z.string().min(1).max(256).optional(),
    password: z.string().min(1).max(1024).optional(),
    /** PEM files for TLS: a private CA for the broker, and a client certificate if the broker wants one. */
    caFile: z.string().min(1).optional(),
    /**
     * The gateway's POST /enroll: the router asks it for its broker certificate
     * (for its own key, CN = its address) and keeps it in dataDir/uplink.crt
     * unless certFile names another place; keyFile defaults to the router key.
     */
    enrollUrl: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'expected an http:// or https:// URL')
      .optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
    keepaliveSeconds: z.int().min(5).max(3_600).default(30),
    reconnectMs: z.int().min(100).max(300_000).default(5_000),
    /** Batches published but not acked within this time are sent again. */
    resendMs: z.int().min(1_000).max(3_600_000).default(60_000),
    /** The gateway's P-256 key (33 bytes compressed, hex): acks and channel-service answers must carry its signature, or they are dropped. */
    gatewayKey: z
      .string()
      .regex(/^0[23][0-9a-fA-F]{64}$/, "expected the gateway's 33-byte compressed public key in hex (qlink-gateway prints it at start)")
      .transform((k) => k.toLowerCase()),
    /** The owner's P-256 key (33 bytes compressed, hex): remote commands on …/cmd must carry its signature; unset, they are refused. */
    ownerPublicKey: z
      .string()
      .regex(/^0[23][0-9a-fA-F]{64}$/, 'expected a 33-byte compressed public key in hex')
      .optional(),
    /** How often status (uptime, load, memory, throughput, guests) is published, retained, on …/status. */
    statusIntervalMs: z.int().min(1_000).max(3_600_000).default(60_000),
  })
  .strict()
  .refine((u) => !u.enrollUrl || u.caFile, {
    message: 'enrollUrl needs caFile: the certificate is taken only under the CA the router pins',
    path: ['enrollUrl'],
  });

const ifname = z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, 'expected an interface name');

const shapingSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Where guests' uploads are queued; found from the default route when not given. */
    wanInterface: ifname.optional(),
    /** Caps for all guests together, so the owner's own traffic keeps the rest. */
    totalDown: rateSchema.optional(),
    totalUp: rateSchema.optional(),
  })
  .strict();

/**
 * The owner's first ten minutes: where the router shows its registration link
 * to the gateway's owner page. Served on the owner's LAN address only (never
 * on the guest interface, and refused to any client seen there).
 */
const setupSchema = z
  .object({
    /** The gateway's HTTP base (its owner page): the registration link points there. */
    gatewayUrl: z.string().regex(/^https?:\/\/[^\s?#]+$/, 'expected an http:// or https:// URL'),
    /** The router's address on the owner's LAN (OpenWrt: the lan interface's, 192.168.1.1 by default); the page listens there alone. */
    listen: z.string().refine((s) => isIP(s) !== 0, 'expected an IP address'),
    port: z.int().min(1).max(65_535).default(8089),
    /** How often the router reads its record on chain until it is registered, then every minute. */
    pollSeconds: z.int().min(1).max(3_600).default(10),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    guestInterface: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,15}$/, 'expected an interface name')
      .default('br-lan'),
    dataDir: z.string().min(1).default('/etc/qlink'),
    controlSocket: z.string().min(1).default('/var/run/qlink/qlink.sock'),
    leasesFile: z.string().min(1).default('/tmp/dhcp.leases'),
    backend: z.enum(['auto', 'nftables', 'iptables']).default('auto'),
    pollIntervalMs: z.int().min(200).max(60_000).default(2_000),
    /** Path of the native counter reader (agent/native), or false for nft only; unset: the installed or in-tree build. */
    nativeCounters: z.union([z.literal(false), z.string().min(1)]).optional(),
    portal: portalConfigSchema.default(() => ({ ...PORTAL_DEFAULTS })),
    walledGarden: z
      .array(z.union([cidrOrIp, hostname]))
      .max(256)
      .default([]),
    /** The hosts each wallet needs while a guest pays (config/wallet-hosts.ts): for the walled garden by name. */
    walletHosts: z
      .object({
        neoline: z
          .array(hostname)
          .max(64)
          .default(() => [...WALLET_HOSTS.neoline]),
        onegate: z
          .array(hostname)
          .max(64)
          .default(() => [...WALLET_HOSTS.onegate]),
        neon: z
          .array(hostname)
          .max(64)
          .default(() => [...WALLET_HOSTS.neon]),
      })
      .strict()
      .default(() => ({ neoline: [...WALLET_HOSTS.neoline], onegate: [...WALLET_HOSTS.onegate], neon: [...WALLET_HOSTS.neon] })),
    blockedNetworks: z.array(cidrOrIp).max(256).default(DEFAULT_BLOCKED),
    plans: plansSchema,
    shaping: shapingSchema.default({ enabled: true }),
    /** A session with no byte in this long ends; null: never. */
    idleTimeoutSeconds: z.int().min(30).max(86_400).nullable().default(900),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    usage: usageSchema.default({ recordIntervalMs: 60_000, batchIntervalMs: 60_000, maxRecordsPerBatch: 1_000 }),
    /** Days the router keeps guests' MACs, host names, addresses, ended sessions and events (docs/privacy.md). */
    retentionDays: z.int().min(1).max(365).default(7),
    /** A MAC that never had a session, not seen this long, is forgotten with its addresses (spoofed or passing neighbours). */
    staleGuestMinutes: z.int().min(1).max(10_080).default(60),
    /** The most such MACs kept; past it the least recently seen go first. */
    maxGuests: z.int().min(64).max(1_000_000).default(4_096),
    chain: chainSchema.optional(),
    uplink: uplinkSchema.optional(),
    setup: setupSchema.optional(),
  })
  .strict()
  .refine((c) => !c.uplink || c.chain, { message: 'uplink needs chain (networkMagic and contract): batches are signed for one deployment', path: ['uplink'] })
  .refine((c) => c.portal.channels !== 'gateway' || c.uplink, { message: 'channels from the gateway need the uplink', path: ['portal', 'channels'] })
  .refine((c) => !c.setup || c.chain, { message: 'setup needs chain (networkMagic and contract): the claim is signed for one deployment', path: ['setup'] })
  .refine((c) => c.portal.channels !== 'chain' || c.portal.rpcUrl, { message: 'channels from the chain need portal.rpcUrl', path: ['portal', 'channels'] });

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
