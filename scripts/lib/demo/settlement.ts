import type { QlinkClient } from '../../../chain/src/client.js';
import { parseEvents } from '../../../protocol/src/index.js';
import { gas, short } from './format.js';
import type { GatewayView } from './gateway.js';
import type { Narrator } from './narrator.js';

/**
 * Tells each settlement transaction the gateway sends as it ends up in a
 * block, with what the chain says it did: channels redeemed (what the
 * owner was paid) and the settlement round anchored (one root over every
 * usage batch stored since the round before).
 */
export class SettlementWatch {
  readonly #told = new Set<string>();
  readonly confirmed: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | null = null;
  #failing = false;

  constructor(
    private readonly gateway: GatewayView,
    private readonly chain: QlinkClient,
    private readonly n: Narrator,
  ) {}

  start(everyMs = 2_000): void {
    this.#timer = setInterval(() => void this.poll(), everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Tells what is new; a call while a look is under way waits for that one. */
  poll(): Promise<void> {
    this.#inflight ??= this.#look().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #look(): Promise<void> {
    try {
      const txs = (await this.gateway.transactions()).reverse();
      for (const t of txs) {
        if (this.#told.has(t.txid) || t.status === 'pending') continue;
        this.#told.add(t.txid);
        if (t.status !== 'confirmed') {
          this.n.say(`settlement tx ${short(t.txid)} ${t.status}; the gateway puts its items in a new one`);
          continue;
        }
        this.confirmed.push(t.txid);
        this.n.say(`settlement tx ${t.txid} is in a block: ${await this.#what(t.txid)}`);
      }
      this.#failing = false;
    } catch (e) {
      if (!this.#failing) this.n.say(`(could not read the gateway's transactions: ${(e as Error).message})`);
      this.#failing = true;
    }
  }

  async #what(txid: string): Promise<string> {
    const ex = await this.chain.tx.execution(txid, 10_000);
    const events = parseEvents(this.chain.config.contract, ex.notifications);
    const redeemed = events.filter((e) => e.name === 'ChannelRedeemed');
    const rounds = events.filter((e) => e.name === 'RoundAnchored');
    const parts: string[] = [];
    if (redeemed.length) {
      const paid = redeemed.reduce((a, e) => a + BigInt(e.params.paid as bigint), 0n);
      parts.push(`paid the owner ${gas(paid)} from channel${redeemed.length > 1 ? 's' : ''} ${redeemed.map((e) => String(e.params.id)).join(', ')}`);
    }
    for (const e of events.filter((x) => x.name === 'ChannelClosed')) {
      parts.push(
        `closed channel ${String(e.params.id)}: paid the owner ${gas(e.params.paid as bigint)}, returned ${gas(e.params.refunded as bigint)} to the guest`,
      );
    }
    for (const e of events.filter((x) => x.name === 'ChannelRefunded')) {
      parts.push(`refunded ${gas(e.params.refunded as bigint)} of channel ${String(e.params.id)} to the guest`);
    }
    for (const e of rounds)
      parts.push(
        `anchored settlement round ${String(e.params.round)} (one root over the usage batches since the round before: ${short(String(e.params.root))})`,
      );
    return parts.join('; ') || `nothing of the contract's (${ex.vmstate})`;
  }
}
