import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Ingestor } from './ingestor.js';
import type { StatusBook } from './status.js';

/** Gateways in one group split the routers' batches between them (MQTT 5 shared subscription). */
export const SHARE_GROUP = 'qlink-gateway';
export const usageSubscription = `$share/${SHARE_GROUP}/qlink/v1/+/usage`;
/** Not shared: every gateway keeps the whole status picture for its API. */
export const statusSubscription = 'qlink/v1/+/status';

export interface BrokerConfig {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  caFile?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  maxPayloadBytes: number;
}

/**
 * The gateway's MQTT side: usage in through the shared subscription, acks out
 * on each router's ack topic, statuses into the status book. An ack is sent
 * only after the store committed, so a router deletes nothing unstored.
 */
export class GatewayLink {
  #client: MqttClient | undefined;
  onAck: ((address: string, seqs: number[]) => void) | undefined;

  constructor(private readonly c: BrokerConfig, private readonly statuses: StatusBook, private readonly log: Logger) {}

  start(ingestor: Ingestor): MqttClient {
    const opts: IClientOptions = {
      protocolVersion: 5,
      clientId: this.c.clientId,
      clean: true,
      reconnectPeriod: 1000,
      username: this.c.username,
      password: this.c.password,
      ca: this.c.caFile ? readFileSync(this.c.caFile) : undefined,
      rejectUnauthorized: this.c.rejectUnauthorized,
      // The broker drops anything far beyond the cap before it costs us memory; a little over the cap still arrives, to be reported.
      properties: { maximumPacketSize: this.c.maxPayloadBytes * 4 + 1024 },
    };
    const client = connect(this.c.url, opts);
    this.#client = client;
    client.on('connect', () => {
      // An ack is a small write right after the PUBACK before it: with Nagle's algorithm it waits for that
      // PUBACK's TCP ACK, which the broker's kernel may delay 40 ms (bench-fleet: ack p50 45 ms with, 5 ms without).
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.log.info({ url: this.c.url, clientId: this.c.clientId }, 'broker connected');
      client.subscribe([usageSubscription, statusSubscription], { qos: 1 }, (err) => {
        if (err) this.log.error({ err: err.message }, 'subscribe failed');
      });
    });
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/status')) return void this.statuses.update(topic, payload, Date.now());
      ingestor.handle(topic, payload).catch((e: Error) => this.log.error({ topic: topic.slice(0, 120), err: e.message }, 'ingest failed; the router will resend'));
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'broker error'));
    return client;
  }

  ack(address: string, seqs: number[]): void {
    this.#client?.publish(`qlink/v1/${address}/ack`, JSON.stringify({ v: 1, seqs }), { qos: 1 }, (err) => {
      if (err) this.log.debug({ router: address, seqs, err: err.message }, 'ack not sent; the router will resend and be acked again');
    });
    this.onAck?.(address, seqs);
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync().catch(() => undefined);
  }
}
