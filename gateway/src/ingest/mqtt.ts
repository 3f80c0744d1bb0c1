import type { Logger } from 'pino';
import { type Ack, gatewaySubscriptions, routerTopics } from '../../../protocol/src/index.js';
import type { GatewayLink } from '../broker/link.js';
import type { GatewaySigner } from '../identity/signer.js';
import type { Ingestor } from './ingestor.js';
import type { StatusBook } from './status.js';
import type { Quota } from '../quota.js';
import type { Counters } from './metrics.js';

export type { BrokerConfig } from '../broker/link.js';

/**
 * Ingest's side of the gateway's connection: usage in through the shared
 * subscription (each batch to one gateway of the group), statuses into the
 * status book (not shared: every gateway keeps the whole picture for its
 * API), acks out on each router's ack topic. An ack is sent only after the
 * store committed, so a router deletes nothing unstored.
 */
export class IngestLink {
  #overQuotaLogged = new Map<string, number>();

  constructor(
    private readonly link: GatewayLink,
    private readonly statuses: StatusBook,
    private readonly signer: GatewaySigner,
    private readonly log: Logger,
    private readonly quota?: Quota,
    private readonly counters?: Counters,
  ) {}

  attach(ingestor: Ingestor): void {
    this.link.route('usage', gatewaySubscriptions.usage, (topic, payload, router) => {
      // Over its budget a router's batch is neither verified nor stored nor acked: it resends it later, within its budget.
      if (this.quota && !this.quota.take(router)) {
        this.counters?.inc('qlink_gateway_batches_total', { result: 'over-quota' });
        const last = this.#overQuotaLogged.get(router) ?? 0;
        if (Date.now() - last > 60_000) {
          this.#overQuotaLogged.set(router, Date.now());
          this.log.warn({ router, limit: this.quota.describe() }, 'batches over quota; not acked, the router will resend');
        }
        return;
      }
      ingestor
        .handle(topic, payload)
        .catch((e: Error) => this.log.error({ topic: topic.slice(0, 120), err: e.message }, 'ingest failed; the router will resend'));
    });
    this.link.route('status', gatewaySubscriptions.status, (topic, payload) => void this.statuses.update(topic, payload, Date.now()));
  }

  ack(address: string, seqs: number[]): void {
    const ack: Omit<Ack, 'sig'> = { v: 1, seqs };
    this.link.publish(routerTopics(address).ack, JSON.stringify(this.signer.seal(address, ack)), { qos: 1 }, (err) => {
      if (err) this.log.debug({ router: address, seqs, err: err.message }, 'ack not sent; the router will resend and be acked again');
    });
  }

  get connected(): boolean {
    return this.link.connected;
  }
}
