import type { Logger } from 'pino';
import type { Deployment } from '../../../agent/src/usage/format.js';
import type { RouterRegistry } from '../registry/registry.js';
import type { GatewayStore } from '../store/store.js';
import { Ingestor } from './ingestor.js';
import { ingestCounters, type Counters } from './metrics.js';
import { GatewayLink, type BrokerConfig } from './mqtt.js';
import { StatusBook } from './status.js';

export interface IngestService {
  ingestor: Ingestor;
  link: GatewayLink;
  statuses: StatusBook;
  counters: Counters;
  stop(): Promise<void>;
}

/** Broker → verify → store → ack, wired together; acks are also counted in the store (how often routers resend). */
export function startIngest(store: GatewayStore, registry: RouterRegistry, broker: BrokerConfig, deployment: Deployment, log: Logger): IngestService {
  const statuses = new StatusBook();
  const counters = ingestCounters();
  const link = new GatewayLink(broker, statuses, log);
  link.onAck = (address, seqs) => {
    store.noteAcks(address, seqs, Date.now()).catch((e: Error) => log.debug({ err: e.message }, 'ack not counted'));
  };
  const ingestor = new Ingestor(store, registry, { deployment, maxPayloadBytes: broker.maxPayloadBytes, ack: (a, s) => link.ack(a, s) }, counters, log);
  link.start(ingestor);
  return {
    ingestor, link, statuses, counters,
    async stop() {
      await link.stop();
      await ingestor.drain();
    },
  };
}
