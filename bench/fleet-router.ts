import { connectAsync, type MqttClient } from 'mqtt';
import { parseConfig } from '../agent/src/config/schema.js';
import { clientOptions } from '../agent/src/uplink/link.js';
import { ackSchema, routerTopics } from '../protocol/src/index.js';
import type { SimRouter } from '../test/gateway-sim.js';
import { TEST_GATEWAY_KEY } from '../test/helpers/gateway-key.js';

/** What a fleet saw; one tally for the warm-up, another for the measured run. */
export interface Tally {
  sent: number;
  acked: number;
  recordsAcked: number;
  /** Publish to ack received, ms, one per acked batch. */
  latencies: number[];
  /** An ack for a batch acked before (the gateway acks a resent batch again). */
  duplicateAcks: number;
  /** An ack for a seq this router never sent, or an ack that is not an ack: a gateway bug. */
  strayAcks: number;
  publishErrors: number;
  resent: number;
  lastAckAt: number;
}

export const newTally = (): Tally => ({
  sent: 0,
  acked: 0,
  recordsAcked: 0,
  latencies: [],
  duplicateAcks: 0,
  strayAcks: 0,
  publishErrors: 0,
  resent: 0,
  lastAckAt: 0,
});

interface Outgoing {
  seq: number;
  payload: Buffer;
  records: number;
  at: number;
}

/**
 * One simulated router speaking the agent's protocol: the agent's own MQTT
 * options (client id `qlink-<address>`, clean session, will on …/status),
 * signed batches in the agent's wire format at QoS 1 on …/usage, an outbox
 * with at most `window` unacked batches in flight, acks read on …/ack.
 */
export class FleetRouter {
  tally: Tally = newTally();
  readonly #outbox: Outgoing[] = [];
  readonly #inflight = new Map<number, Outgoing>();
  readonly #topics;
  #client: MqttClient | undefined;
  #sentUpTo = 0;

  constructor(
    readonly sim: SimRouter,
    private readonly url: string,
    private readonly window: number,
    private readonly tls: { ca: string; cert: string; key: string },
  ) {
    this.#topics = routerTopics(sim.address);
  }

  async connect(): Promise<void> {
    const uplink = parseConfig({
      chain: this.sim.d,
      uplink: { gatewayKey: TEST_GATEWAY_KEY, url: this.url, caFile: this.tls.ca, certFile: this.tls.cert, keyFile: this.tls.key },
    }).uplink!;
    const c = await connectAsync(this.url, clientOptions(uplink, this.sim.address));
    this.#client = c;
    c.on('message', (_topic, payload) => this.#onAck(payload));
    await c.subscribeAsync(this.#topics.ack, { qos: 1 });
  }

  /** Seals the next batch (built and signed now, as the agent seals one) and sends what the window allows. */
  seal(records: number): void {
    const b = this.sim.next(records);
    this.#outbox.push({ seq: b.seq, payload: Buffer.from(JSON.stringify(b)), records, at: 0 });
    this.#pump();
  }

  /** Every unacked batch again, as the agent does after resendMs without an ack (used in the warm-up only). */
  resend(): void {
    for (const e of this.#inflight.values()) {
      this.tally.resent++;
      this.#publish(e);
    }
  }

  /** Batches sealed and not yet acked: sent and waiting, or waiting for room in the window. */
  get pending(): number {
    return this.#inflight.size + this.#outbox.length;
  }

  async end(): Promise<void> {
    await this.#client?.endAsync();
  }

  #pump(): void {
    while (this.#outbox.length && this.#inflight.size < this.window) {
      const e = this.#outbox.shift()!;
      this.#inflight.set(e.seq, e);
      this.tally.sent++;
      this.#sentUpTo = e.seq;
      this.#publish(e);
    }
  }

  #publish(e: Outgoing): void {
    e.at = performance.now();
    this.#client!.publish(this.#topics.usage, e.payload, { qos: 1 }, (err) => {
      if (err) this.tally.publishErrors++;
    });
  }

  #onAck(payload: Buffer): void {
    const now = performance.now();
    let seqs: number[];
    try {
      seqs = ackSchema.parse(JSON.parse(payload.toString('utf8'))).seqs;
    } catch {
      this.tally.strayAcks++;
      return;
    }
    for (const seq of seqs) {
      const e = this.#inflight.get(seq);
      if (e) {
        this.#inflight.delete(seq);
        this.tally.acked++;
        this.tally.recordsAcked += e.records;
        this.tally.latencies.push(now - e.at);
        this.tally.lastAckAt = now;
      } else if (seq <= this.#sentUpTo) {
        this.tally.duplicateAcks++;
      } else {
        this.tally.strayAcks++;
      }
    }
    this.#pump();
  }
}
