import { z } from 'zod';
import { uint } from './fields.js';

const rate = z.number().min(0);

/** Retained on `qlink/v1/<router>/status`; the last will is `offlineStatus`. */
export const statusSchema = z
  .object({
    v: z.literal(1),
    router: z.string(),
    online: z.literal(true),
    at: uint,
    uptimeSeconds: uint,
    agentUptimeSeconds: uint,
    load: z.tuple([rate, rate, rate]),
    memory: z.object({ totalKb: uint, availableKb: uint, agentRssKb: uint }).strict(),
    /** Byte counters and rates since the previous status (0 on the first). */
    interfaces: z.record(z.string(), z.object({ rxBytes: uint, txBytes: uint, rxBps: rate, txBps: rate }).strict()),
    guests: uint,
    sessions: uint,
    outbox: uint,
    /** Packets the gate dropped for a source no guest holds (a taken IP, a forged ARP or ND claim), since the gate was built. */
    spoofed: z.object({ v4: uint, v6: uint, arp: uint }).strict().optional(),
  })
  .strict();

export type Status = z.infer<typeof statusSchema>;

/** What a reader needs of any status, online or the broker's last will; the rest passes through. */
export const statusHeadSchema = z.object({ v: z.literal(1), router: z.string().max(64), online: z.boolean(), at: z.number().optional() }).loose();
export const MAX_STATUS_BYTES = 64 * 1024;

/** What a router says as it goes (and the broker, for it, when it vanishes): the last will. */
export const offlineStatusSchema = z.object({ v: z.literal(1), router: z.string(), online: z.literal(false) }).strict();

/** Retained by the broker when the router vanishes without saying goodbye. */
export const offlineStatus = (routerId: string): string => JSON.stringify({ v: 1, router: routerId, online: false });
