import type { Logger } from 'pino';
import type { Deployment } from '../../../protocol/src/index.js';
import type { GatewayLink } from '../broker/link.js';
import type { GatewaySigner } from '../identity/signer.js';
import type { RouterRegistry } from '../registry/registry.js';
import type { IngestStore } from '../store/store.js';
import { Ingestor } from './ingestor.js';
import { ingestCounters, type Counters } from './metrics.js';
import { IngestLink } from './mqtt.js';
import { StatusBook } from './status.js';
import { Quota } from '../quota.js';
import { VoucherCheck, type ChannelLookup } from './vouchers.js';

export interface IngestService {
  ingestor: Ingestor;
  link: IngestLink;
  statuses: StatusBook;
  counters: Counters;
  /** Waits for what is being stored to finish (the connection is its owner's to stop). */
  drain(): Promise<void>;
}

/** Broker → verify (the vouchers in records against the chain) → store → ack, wired onto the gateway's connection (routes it before the connection starts). */
export function startIngest(
  store: IngestStore,
  registry: RouterRegistry,
  channels: ChannelLookup,
  broker: GatewayLink,
  maxPayloadBytes: number,
  deployment: Deployment,
  signer: GatewaySigner,
  log: Logger,
  batchesPerMinute?: number,
): IngestService {
  const statuses = new StatusBook();
  const counters = ingestCounters();
  const quota = batchesPerMinute ? new Quota({ name: 'batches', rate: batchesPerMinute, perMs: 60_000, burst: batchesPerMinute }) : undefined;
  const link = new IngestLink(broker, statuses, signer, log, quota, counters);
  const ingestor = new Ingestor(
    store,
    registry,
    new VoucherCheck(channels, deployment),
    { deployment, maxPayloadBytes, ack: (a, s) => link.ack(a, s) },
    counters,
    log,
  );
  link.attach(ingestor);
  return { ingestor, link, statuses, counters, drain: () => ingestor.drain() };
}
