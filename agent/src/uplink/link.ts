import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { offlineStatus, routerTopics } from '../../../protocol/src/index.js';

export type UplinkConfig = NonNullable<AgentConfig['uplink']>;
type Handler = (payload: Buffer) => void;

export function clientOptions(c: UplinkConfig, routerId: string): IClientOptions {
  return {
    clientId: `qlink-${routerId}`,
    clean: true,
    keepalive: c.keepaliveSeconds,
    reconnectPeriod: c.reconnectMs,
    connectTimeout: 30_000,
    username: c.username,
    password: c.password,
    ca: c.caFile ? readFileSync(c.caFile) : undefined,
    cert: c.certFile ? readFileSync(c.certFile) : undefined,
    key: c.keyFile ? readFileSync(c.keyFile) : undefined,
    rejectUnauthorized: c.rejectUnauthorized,
    // The outbox is the durable queue; the client's own offline queue would only send things twice.
    queueQoSZero: false,
    will: { topic: routerTopics(routerId).status, payload: Buffer.from(offlineStatus(routerId)), qos: 1, retain: true },
  };
}

/**
 * The router's one MQTT connection, shared by the usage uplink, status and
 * remote commands: each registers the topics it reads and what to do on
 * (re)connect; the link subscribes again after every reconnect.
 */
export class MqttLink {
  #client: MqttClient | undefined;
  readonly #handlers = new Map<string, Handler>();
  readonly #onConnect: (() => void)[] = [];
  readonly #onClose: (() => void)[] = [];
  readonly topics;

  constructor(
    readonly config: UplinkConfig,
    readonly routerId: string,
    private readonly log: Logger,
  ) {
    this.topics = routerTopics(routerId);
  }

  handle(topic: string, fn: Handler): void {
    this.#handlers.set(topic, fn);
  }
  onConnect(fn: () => void): void {
    this.#onConnect.push(fn);
  }
  onClose(fn: () => void): void {
    this.#onClose.push(fn);
  }

  start(): void {
    const client = connect(this.config.url, clientOptions(this.config, this.routerId));
    this.#client = client;
    client.on('connect', () => {
      this.log.info({ url: this.config.url }, 'uplink connected');
      for (const topic of this.#handlers.keys()) {
        client.subscribe(topic, { qos: 1 }, (err) => {
          if (err) this.log.warn({ topic, err: err.message }, 'subscription failed');
        });
      }
      for (const fn of this.#onConnect) fn();
    });
    client.on('message', (topic, payload) => {
      const fn = this.#handlers.get(topic);
      try {
        fn?.(payload);
      } catch (e) {
        this.log.error({ topic, err: (e as Error).message }, 'message handler failed');
      }
    });
    client.on('close', () => {
      for (const fn of this.#onClose) fn();
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'uplink error'));
  }

  /** False when not connected: the caller keeps what it has to send (the outbox does; status is simply sent next time). */
  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions, done?: (err?: Error) => void): boolean {
    const client = this.#client;
    if (!client?.connected) return false;
    client.publish(topic, payload, opts, (err) => done?.(err));
    return true;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Connects again with the configuration's files read afresh (a renewed certificate); handlers stay. */
  async restart(): Promise<void> {
    await this.#client?.endAsync().catch(() => {});
    this.start();
  }

  /** A clean stop says "offline" itself (the broker sends the will only when the connection is lost). */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    if (client.connected) await client.publishAsync(this.topics.status, offlineStatus(this.routerId), { qos: 1, retain: true }).catch(() => {});
    await client.endAsync().catch(() => {});
  }
}
