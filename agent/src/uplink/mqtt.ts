import type { Logger } from '../log.js';
import { ackSchema } from '../../../protocol/src/index.js';
import type { MqttLink } from './link.js';
import { signedByGateway } from './gateway-key.js';
import { readJsonMessage } from './message.js';
import type { Outbox } from './outbox.js';

export { clientOptions } from './link.js';

/** Batches in flight at once; more wait in the outbox until acks arrive. */
const WINDOW = 64;
const MAX_ACK_BYTES = 64 * 1024;

/**
 * Sends outbox batches at QoS 1, in sequence order, and deletes them when the
 * gateway's ack names them. After every (re)connect, and whenever the oldest
 * batch waited longer than resendMs, it starts again from the oldest unacked one.
 */
export class UsageUplink {
  #sentUpTo = 0;
  #oldestSentAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: MqttLink,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    link.handle(link.topics.ack, (payload) => this.#onAck(payload));
    link.onConnect(() => {
      this.log.info({ pending: this.outbox.size() }, 'usage uplink resending from the oldest unacked batch');
      this.#restart();
    });
    link.onClose(() => {
      this.#sentUpTo = 0;
    });
  }

  /** Starts the resend timer; the link itself is started by its owner. */
  start(): void {
    this.#timer = setInterval(() => this.#checkResend(), Math.min(this.link.config.resendMs, 5_000));
  }

  /** Publishes what is new in the outbox; call after sealing a batch. */
  pump(): void {
    if (!this.link.connected) return;
    // At most WINDOW unacked batches in flight: a broker queues only so many for a slow subscriber (mosquitto:
    // max_queued_messages 1000) and drops the rest, which then wait for resendMs.
    const room = WINDOW - this.outbox.countUpTo(this.#sentUpTo);
    if (room <= 0) return;
    for (const e of this.outbox.after(this.#sentUpTo, room)) {
      const sent = this.link.publish(this.link.topics.usage, e.payload, { qos: 1 }, (err) => {
        if (err) this.log.debug({ seq: e.seq, err: err.message }, 'publish not confirmed; it stays in the outbox');
      });
      if (!sent) return;
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
    if (this.#oldestSentAt !== null && this.clock() - this.#oldestSentAt >= this.link.config.resendMs && this.outbox.size()) {
      this.log.info({ pending: this.outbox.size() }, 'no ack in time; sending unacked batches again');
      this.#restart();
    }
  }

  #onAck(payload: Buffer): void {
    const ack = readJsonMessage(payload, ackSchema, MAX_ACK_BYTES);
    if (ack.ok && !signedByGateway(this.link.routerId, this.link.config.gatewayKey, ack.raw)) {
      return void this.log.warn('ack refused: not signed by the pinned gateway key; the batches stay in the outbox');
    }
    if (!ack.ok) return void this.log.warn(`ack refused: ${ack.why}`);
    const done = this.outbox.ack(ack.value.seqs, this.clock());
    if (done.length) this.#oldestSentAt = this.outbox.size() ? this.clock() : null;
    this.log.debug({ acked: done }, 'batches acked');
    this.pump();
  }

  get connected(): boolean {
    return this.link.connected;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
