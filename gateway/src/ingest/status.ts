import { z } from 'zod';

/** What the gateway reads of a router's retained status: enough for "online"; the rest is passed through as the router sent it. */
const statusSchema = z.object({ v: z.literal(1), router: z.string().max(64), online: z.boolean(), at: z.number().optional() }).loose();
const STATUS_TOPIC = /^qlink\/v1\/([^/]{1,64})\/status$/;
const MAX_STATUS_BYTES = 64 * 1024;

export interface RouterStatus {
  online: boolean;
  /** When this gateway received it (the retained copy arrives at subscribe time). */
  receivedAt: number;
  status: Record<string, unknown>;
}

/** The newest status per router, from the retained `qlink/v1/<router>/status` topic. */
export class StatusBook {
  readonly #byRouter = new Map<string, RouterStatus>();

  /** False when the message is not a status this book keeps (wrong topic, too large, bad shape). */
  update(topic: string, payload: Buffer, now: number): boolean {
    const m = STATUS_TOPIC.exec(topic);
    if (!m || payload.length > MAX_STATUS_BYTES) return false;
    if (payload.length === 0) return this.#byRouter.delete(m[1]!); // a cleared retained message
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return false;
    }
    const s = statusSchema.safeParse(json);
    if (!s.success || s.data.router !== m[1]) return false;
    this.#byRouter.set(m[1]!, { online: s.data.online, receivedAt: now, status: s.data });
    return true;
  }

  get(router: string): RouterStatus | undefined {
    return this.#byRouter.get(router);
  }

  entries(): IterableIterator<[string, RouterStatus]> {
    return this.#byRouter.entries();
  }

  get online(): number {
    let n = 0;
    for (const s of this.#byRouter.values()) if (s.online) n++;
    return n;
  }
}
