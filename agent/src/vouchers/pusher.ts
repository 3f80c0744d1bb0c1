import type { Logger } from '../log.js';
import type { GatewayRpc } from '../uplink/gateway-rpc.js';
import { RpcFailure } from '../uplink/rpc-client.js';
import type { VoucherStore } from './store.js';

/** The gateway's limit per request (docs/channel-rpc.md). */
const PER_REQUEST = 100;

/**
 * Passes each channel's newest voucher on to the gateway (the `vouchers`
 * method) as soon as it is taken, so the owner's other routers see it at once
 * (roaming); the usage record that carries it arrives a batch later. The
 * store marks what the gateway has answered for, so each voucher goes once;
 * what it has not (link down, gateway busy) is sent again on the next tick,
 * and after a restart.
 */
export class VoucherPusher {
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #lastProblem = '';

  constructor(
    private readonly store: VoucherStore,
    private readonly gateway: Pick<GatewayRpc, 'vouchers'>,
    private readonly log: Logger,
    private readonly retryMs = 5_000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.nudge(), this.retryMs);
  }

  /** Sends what is due now; a push already running picks the new ones up when it ends. */
  nudge(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#push().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.nudge();
      }
    });
    return this.#running;
  }

  async #push(): Promise<void> {
    for (;;) {
      const due = this.store.unpushed(PER_REQUEST);
      if (!due.length) return;
      let results;
      try {
        results = await this.gateway.vouchers(due);
      } catch (e) {
        const problem = e instanceof RpcFailure ? `${e.code}: ${e.message}` : (e as Error).message;
        // Transient trouble is logged once, not every retry.
        if (problem !== this.#lastProblem) this.log.warn({ pending: due.length, err: problem }, 'vouchers not passed on to the gateway yet');
        this.#lastProblem = problem;
        return;
      }
      this.#lastProblem = '';
      due.forEach((v, i) => {
        const r = results[i];
        // Refused for good (channel closed, unknown): sending it again would not change the answer.
        if (r?.error) this.log.warn({ channel: String(v.channelId), amount: String(v.amount), err: r.error }, 'gateway refused a voucher');
        this.store.markPushed(v.channelId, v.amount);
      });
      if (due.length < PER_REQUEST) return;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
