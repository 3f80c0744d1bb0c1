import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ChainConfig } from './chain/config.js';
import { settlementConfigSchema } from './settle/config.js';

/** qlink-gateway's JSON config file; unknown keys are refused so a typo is an error, not a silent default. */
export const gatewayConfigSchema = z.object({
  broker: z.object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
    /** Unique per process: the broker drops the older of two connections with one id. */
    clientId: z.string().min(1).max(128).default(() => `qlink-gateway-${hostname()}-${process.pid}`),
    username: z.string().optional(),
    password: z.string().optional(),
    caFile: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
    maxPayloadBytes: z.int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
  }).strict(),
  store: z.union([
    z.object({ sqlite: z.string().min(1) }).strict(),
    z.object({ postgres: z.string().regex(/^postgres(ql)?:\/\//), poolSize: z.int().min(1).max(100).default(8) }).strict(),
  ]),
  chain: ChainConfig.strict(),
  registry: z.object({
    ttlMs: z.int().min(0).default(10 * 60_000),
    negativeTtlMs: z.int().min(0).default(60_000),
  }).strict().default({ ttlMs: 10 * 60_000, negativeTtlMs: 60_000 }),
  api: z.object({
    port: z.int().min(0).max(65535).default(8480),
    host: z.string().default('127.0.0.1'),
    /** Bearer token for the API's write endpoints; without one the API is read-only. */
    token: z.string().min(16).optional(),
  }).strict().default({ port: 8480, host: '127.0.0.1' }),
  /** The channel service for routers over MQTT (docs/channel-rpc.md). */
  rpc: z.object({
    enabled: z.boolean().default(true),
    chainTimeoutMs: z.int().min(1000).max(120_000).default(15_000),
  }).strict().default({ enabled: true, chainTimeoutMs: 15_000 }),
  /** Absent: this gateway settles nothing (another one does, or none yet). */
  settlement: settlementConfigSchema.optional(),
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().default({ level: 'info' }),
}).strict();

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
