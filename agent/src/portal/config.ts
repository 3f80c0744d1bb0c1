import { z } from 'zod';
import { LIMITS_DEFAULTS, limitsSchema } from '../limits/config.js';
import { gasAmountSchema } from '../plans.js';

const text = z.string().min(1).max(4_000);
/** Text the owner gives in English and optionally Chinese; a plain string is used for both. */
const localized = z.union([text, z.object({ en: text, zh: text.optional() }).strict()]);

/** The `portal` section of the agent's config: where the portal listens, what it shows, how guests pay. */
export const portalConfigSchema = z
  .object({
    port: z.int().min(1).max(65_535).default(8088),
    /** The café's name, shown on every page. */
    name: localized.default('Guest Wi-Fi'),
    /** A PNG, JPEG, GIF or SVG file, at most 64 KB, shown on every page. */
    logoFile: z.string().min(1).optional(),
    terms: localized.optional(),
    /**
     * With a host name and a certificate for it, the portal also speaks HTTPS on
     * its port, and the RFC 8908 Captive Portal API is offered (clients use it
     * only over HTTPS with a valid certificate); its URI goes in DHCP option 114.
     */
    hostname: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i, 'expected a host name')
      .optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** NEO JSON-RPC the agent may read channels from directly (see `channels`). */
    rpcUrl: z.string().url().optional(),
    /**
     * Where channels are read: `gateway` asks the gateway's channel service over
     * the uplink (no NEO node needed on the router, and it knows the newest
     * voucher other routers of the owner took: roaming); `chain` reads the
     * contract over rpcUrl; `auto` is the gateway when an uplink is configured,
     * else the chain. With the gateway and rpcUrl both, the chain stands in
     * while the gateway does not answer. With neither, paying is off.
     */
    channels: z.enum(['auto', 'gateway', 'chain']).default('auto'),
    /** How long a log out waits for the cooperative close's block before telling the guest it is on its way. */
    closeWaitSeconds: z.int().min(0).max(120).default(30),
    /** The owner's script hash: channels opened at any of the owner's routers are served here (roaming). */
    owner: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a script hash like 0x + 40 hex digits')
      .optional(),
    /** What the page asks a wallet to deposit when opening a channel (GAS; default 1). */
    deposit: gasAmountSchema.default(100_000_000),
    /** How far ahead of use the page signs (GAS; default 0.01): the most a guest whose key is lost can be charged for nothing. */
    creditWindow: gasAmountSchema.default(1_000_000),
    /** Channel lifetime the page asks for: a week by default, so a guest comes back on the channel they hold. */
    channelHours: z
      .int()
      .min(1)
      .max(24 * 90)
      .default(24 * 7),
    /** A lifetime in minutes instead, for tests and demos that must see a channel expire and refund within a run; it wins over channelHours. */
    channelMinutes: z
      .int()
      .min(1)
      .max(24 * 60)
      .optional(),
    /** Probes answered as online for a guest who started paying, so the phone keeps the Wi-Fi while the wallet app is open. */
    paymentWindowSeconds: z.int().min(10).max(1_800).default(180),
    /** How long the page waits for the guest's wallet to answer one request before saying so. */
    walletTimeoutSeconds: z.int().min(2).max(600).default(120),
    /** A channel closer than this to its expiry buys no more service. */
    expiryMarginSeconds: z.int().min(0).max(86_400).default(300),
    /** What one guest may ask of the router (limits/config.ts); every refusal is a 429 naming its limit. */
    limits: limitsSchema.default(() => structuredClone(LIMITS_DEFAULTS)),
  })
  .strict()
  .refine((p) => !!p.certFile === !!p.keyFile, { message: 'certFile and keyFile go together', path: ['certFile'] })
  .refine((p) => !p.certFile || p.hostname, { message: 'a certificate needs the hostname it was issued for', path: ['hostname'] });

export type PortalConfig = z.infer<typeof portalConfigSchema>;

/** How long a channel opened now should live, in ms. */
export const channelLifetimeMs = (p: PortalConfig): number => (p.channelMinutes !== undefined ? p.channelMinutes * 60_000 : p.channelHours * 3_600_000);

/** The section's defaults, parsed, for the agent's config to default to (zod's default() does not parse its value). */
export const PORTAL_DEFAULTS: PortalConfig = portalConfigSchema.parse({});

/** The RFC 8908 API's URI, when the owner configured HTTPS; what DHCP option 114 and the RA option carry. */
export function captiveApiUri(p: PortalConfig): string | null {
  return p.hostname && p.certFile ? `https://${p.hostname}:${p.port}/api/captive` : null;
}

/** The dnsmasq lines that announce the API (RFC 8910): DHCPv4 option 114 and the DHCPv6/RA option 103. */
export function dnsmasqCaptiveLines(p: PortalConfig): string[] {
  const uri = captiveApiUri(p);
  return uri ? [`dhcp-option-force=114,"${uri}"`, `dhcp-option-force=option6:103,"${uri}"`] : [];
}
