import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ackSchema } from '../usage/wire.js';
import type { Outbox } from './outbox.js';

type UplinkConfig = NonNullable<AgentConfig['uplink']>;

/** Batches in flight at once; more wait in the outbox until acks arrive. */
const WINDOW = 64;
const MAX_ACK_BYTES = 64 * 1024;

export const usageTopic = (routerId: string) => `qlink/v1/${routerId}/usage`;
export const ackTopic = (routerId: string) => `qlink/v1/${routerId}/ack`;

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
  };
}

/**
 * Sends outbox batches at QoS 1, in sequence order, and deletes them when the
 * gateway's ack names them. After every (re)connect, and whenever the oldest
 * batch waited longer than resendMs, it starts again from the oldest unacked one.
 */
export class UsageUplink {
  #client: MqttClient | undefined;
  #sentUpTo = 0;
  #oldestSentAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: UplinkConfig,
    private readonly routerId: string,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    const client = connect(this.config.url, clientOptions(this.config, this.routerId));
    this.#client = client;
    client.on('connect', () => {
      this.log.info({ url: this.config.url, pending: this.outbox.size() }, 'uplink connected');
      client.subscribe(ackTopic(this.routerId), { qos: 1 }, (err) => {
        if (err) this.log.warn({ err: err.message }, 'ack subscription failed');
      });
      this.#restart();
    });
    client.on('message', (topic, payload) => this.#onAck(topic, payload));
    client.on('close', () => { this.#sentUpTo = 0; });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'uplink error'));
    this.#timer = setInterval(() => this.#checkResend(), Math.min(this.config.resendMs, 5_000));
  }

  /** Publishes what is new in the outbox; call after sealing a batch. */
  pump(): void {
    const client = this.#client;
    if (!client?.connected) return;
    const entries = this.outbox.after(this.#sentUpTo, WINDOW);
    for (const e of entries) {
      client.publish(usageTopic(this.routerId), e.payload, { qos: 1 }, (err) => {
        if (err) this.log.debug({ seq: e.seq, err: err.message }, 'publish not confirmed; it stays in the outbox');
      });
      this.#sentUpTo = e.seq;
      this.#oldestSentAt ??= this.clock();
    }
  }

  #restart(): void {
    this.#sentUpTo = 0;
    this.#oldestSentAt = null;
    this.pump();
  }

  #checkResend(): void {
    if (this.#oldestSentAt !== null && this.clock() - this.#oldestSentAt >= this.config.resendMs && this.outbox.size()) {
      this.log.info({ pending: this.outbox.size() }, 'no ack in time; sending unacked batches again');
      this.#restart();
    }
  }

  #onAck(topic: string, payload: Buffer): void {
    if (topic !== ackTopic(this.routerId)) return;
    if (payload.length > MAX_ACK_BYTES) return void this.log.warn({ bytes: payload.length }, 'ack refused: too large');
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return void this.log.warn('ack refused: not JSON');
    }
    const ack = ackSchema.safeParse(json);
    if (!ack.success) return void this.log.warn('ack refused: bad shape');
    const done = this.outbox.ack(ack.data.seqs, this.clock());
    if (done.length) this.#oldestSentAt = this.outbox.size() ? this.clock() : null;
    this.log.debug({ acked: done }, 'batches acked');
    this.pump();
  }

  /** Connection state for status and tests. */
  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#client?.endAsync().catch(() => {});
  }
}
