import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ChainConfig } from '../../chain/src/config.js';
import { settlementConfigSchema } from './settle/config.js';
import { indexConfigSchema, sponsorConfigSchema } from './sponsor/config.js';

/** qlink-gateway's JSON config file; unknown keys are refused so a typo is an error, not a silent default. */
export const gatewayConfigSchema = z
  .object({
    broker: z
      .object({
        url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
        /** Unique per process: the broker drops the older of two connections with one id. */
        clientId: z
          .string()
          .min(1)
          .max(128)
          .default(() => `qlink-gateway-${hostname()}-${process.pid}`),
        username: z.string().optional(),
        password: z.string().optional(),
        /** PEM: the CA of the broker's certificate (the fleet CA). */
        caFile: z.string().optional(),
        /** PEM: this gateway's client certificate (qlink-gateway ca issue) and key; the broker's ACL knows the gateway by its CN. */
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
        /**
         * The largest batch the agent sends is 4.03 MiB (10,000 records at their
         * widest, node dist/bench/batch-size.js); anything larger is not a router's.
         */
        maxPayloadBytes: z
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(4.5 * 1024 * 1024),
      })
      .strict(),
    store: z.union([
      z.object({ sqlite: z.string().min(1) }).strict(),
      z.object({ postgres: z.string().regex(/^postgres(ql)?:\/\//), poolSize: z.int().min(1).max(100).default(8) }).strict(),
    ]),
    chain: ChainConfig.strict(),
    registry: z
      .object({
        ttlMs: z
          .int()
          .min(0)
          .default(10 * 60_000),
        negativeTtlMs: z.int().min(0).default(60_000),
      })
      .strict()
      .default({ ttlMs: 10 * 60_000, negativeTtlMs: 60_000 }),
    api: z
      .object({
        port: z.int().min(0).max(65535).default(8480),
        host: z.string().default('127.0.0.1'),
        /** The operator's bearer token: the whole fleet, and the one write (resolving an anomaly). Without it only owners see anything. */
        token: z.string().min(16).optional(),
        /** What an owner's login challenge names this gateway as (its public URL, say). */
        name: z.string().min(1).max(100).default('qlink-gateway'),
        /** Signs owners' session tokens; give every gateway of a group the same one so each honours the others' sessions. Absent: a random one per process. */
        sessionSecret: z.string().min(32).optional(),
        /** Session cookies marked Secure: set when owners reach the API over HTTPS (directly or through a proxy). */
        secureCookies: z.boolean().default(false),
        /** /metrics without a token, on a listener of its own (a scraper on the operator's network); absent: only with the token. */
        metricsPort: z.int().min(1).max(65535).optional(),
        metricsHost: z.string().default('127.0.0.1'),
      })
      .strict()
      .default({ port: 8480, host: '127.0.0.1', name: 'qlink-gateway', secureCookies: false, metricsHost: '127.0.0.1' }),
    /**
     * Per-router budgets: what one router may ask of this gateway, so a router
     * that floods spends its own budget, not other routers' (docs/gateway.md).
     * A day's backlog of a router sealing a batch a minute (1,440) drains
     * within three minutes at the default.
     */
    quotas: z
      .object({
        batchesPerMinute: z.int().min(1).default(600),
        rpcPerMinute: z.int().min(1).default(600),
        relaysPerHour: z.int().min(1).default(60),
      })
      .strict()
      .default({ batchesPerMinute: 600, rpcPerMinute: 600, relaysPerHour: 60 }),
    /** The channel service for routers over MQTT (docs/channel-rpc.md). */
    rpc: z
      .object({
        enabled: z.boolean().default(true),
        chainTimeoutMs: z.int().min(1000).max(120_000).default(15_000),
      })
      .strict()
      .default({ enabled: true, chainTimeoutMs: 15_000 }),
    /**
     * The key that signs every ack and channel-service answer (routers pin its
     * public key as uplink.gatewayKey): a WIF, or the environment variable that
     * holds one. Absent: the settlement wallet's key.
     */
    signingKey: z
      .object({ wif: z.string().min(50).optional(), wifEnv: z.string().min(1).optional() })
      .strict()
      .refine((k) => !!k.wif !== !!k.wifEnv, 'give wif or wifEnv')
      .optional(),
    /**
     * The fleet CA (qlink-gateway ca init --dir …): with it the gateway answers
     * POST /enroll, giving each registered router a broker certificate for its
     * own key (docs/broker/).
     */
    ca: z
      .object({ dir: z.string().min(1) })
      .strict()
      .optional(),
    /** The hotspot pays its guests' network fees (docs/portal.md "The hotspot pays the fee"); absent: guests pay their own. */
    sponsor: sponsorConfigSchema.optional(),
    /** The channel index a guest's page asks "which open channels does this account have here". */
    index: indexConfigSchema.default({ enabled: true, fromBlock: 0, pollMs: 1_000 }),
    /** Absent: this gateway settles nothing (another one does, or none yet). */
    settlement: settlementConfigSchema.optional(),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Reads and checks the file; the error names the field (`broker.url: …`), never echoes secrets. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`config ${path}: ${(e as Error).message}`);
  }
  const r = gatewayConfigSchema.safeParse(json);
  if (!r.success) throw new Error(`config ${path}: ` + r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** The signing key's WIF: its own, else the settlement wallet's; an unset variable is an error at start. */
export function signingWif(c: GatewayConfig, env: NodeJS.ProcessEnv = process.env): string {
  const ref = c.signingKey ?? (c.settlement ? { wif: c.settlement.wif, wifEnv: c.settlement.wifEnv } : undefined);
  const wif = ref?.wif ?? (ref?.wifEnv ? env[ref.wifEnv] : undefined);
  if (!wif) throw new Error(`no signing key: set signingKey (or settlement's wallet)${ref?.wifEnv ? `; ${ref.wifEnv} is not set` : ''}`);
  return wif;
}
