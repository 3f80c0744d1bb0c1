import { MAX_STATUS_BYTES, parseTopic, statusHeadSchema } from '../../../protocol/src/index.js';

/** What the gateway reads of a router's retained status: enough for "online"; the rest is passed through as the router sent it. */

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
    const t = parseTopic(topic);
    if (t?.kind !== 'status' || payload.length > MAX_STATUS_BYTES) return false;
    const router = t.routerId;
    if (payload.length === 0) return this.#byRouter.delete(router); // a cleared retained message
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return false;
    }
    const s = statusHeadSchema.safeParse(json);
    if (!s.success || s.data.router !== router) return false;
    this.#byRouter.set(router, { online: s.data.online, receivedAt: now, status: s.data });
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
