import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { parseTopic, type TopicKind } from '../../../protocol/src/index.js';

export interface BrokerConfig {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM: the CA of the broker's certificate (the fleet CA). */
  caFile?: string | undefined;
  /** PEM: this gateway's client certificate and key; the broker's ACL knows the gateway by the certificate's CN. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  maxPayloadBytes: number;
}

type Handler = (topic: string, payload: Buffer, routerId: string) => void;

/**
 * The gateway's one MQTT connection: ingest (usage, status) and the channel
 * service (rpc) each route the topic kind they read, and publish through it.
 * One connection, because a broker that forces the client id to the
 * certificate's name (use_username_as_clientid, so no client can take over
 * another's session) would let two connections of one certificate kick each
 * other off.
 */
export class GatewayLink {
  #client: MqttClient | undefined;
  readonly #routes = new Map<TopicKind, { subscription: string; fn: Handler }>();

  constructor(
    private readonly c: BrokerConfig,
    private readonly log: Logger,
  ) {}

  /** Call before start: what to subscribe to, and who handles it. */
  route(kind: TopicKind, subscription: string, fn: Handler): void {
    this.#routes.set(kind, { subscription, fn });
  }

  start(): MqttClient {
    const opts: IClientOptions = {
      protocolVersion: 5,
      clientId: this.c.clientId,
      clean: true,
      reconnectPeriod: 1000,
      username: this.c.username,
      password: this.c.password,
      ca: this.c.caFile ? readFileSync(this.c.caFile) : undefined,
      cert: this.c.certFile ? readFileSync(this.c.certFile) : undefined,
      key: this.c.keyFile ? readFileSync(this.c.keyFile) : undefined,
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
      const subs = [...this.#routes.values()].map((r) => r.subscription);
      client.subscribe(subs, { qos: 1 }, (err) => {
        if (err) this.log.error({ err: err.message }, 'subscribe failed');
      });
    });
    client.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      const r = t && this.#routes.get(t.kind);
      if (!t || !r) return;
      try {
        r.fn(topic, payload, t.routerId);
      } catch (e) {
        this.log.error({ topic: topic.slice(0, 120), err: (e as Error).message }, 'message handler failed');
      }
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'broker error'));
    return client;
  }

  /** False when not connected; what is published at QoS 1 is resent by the client across reconnects. */
  publish(topic: string, payload: string, opts: IClientPublishOptions, done?: (err?: Error) => void): boolean {
    const client = this.#client;
    if (!client) return false;
    client.publish(topic, payload, opts, (err) => done?.(err));
    return client.connected;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  get client(): MqttClient | undefined {
    return this.#client;
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync().catch(() => undefined);
  }
}
