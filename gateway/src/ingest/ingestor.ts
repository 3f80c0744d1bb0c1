import type { Logger } from 'pino';
import type { Batch, Deployment } from '../../../protocol/src/index.js';
import type { RouterRegistry } from '../registry/registry.js';
import type { IngestStore } from '../store/store.js';
import type { Counters } from './metrics.js';
import { parseBatch, routerOfTopic, type Refusal } from './parse.js';
import { refusedDetail, type VoucherCheck, VouchersUndecided } from './vouchers.js';

export type IngestResult = 'stored' | 'duplicate' | 'held' | 'refused' | 'retry';

export interface IngestOptions {
  deployment: Deployment;
  maxPayloadBytes: number;
  /** Sends `{v: 1, seqs}` on the router's ack topic. */
  ack: (address: string, seqs: number[]) => void;
  clock?: () => number;
}

/**
 * One usage batch from the MQTT edge to the store: parse and verify, check
 * the registry, store idempotently, ack. Batches of one router run one at a
 * time (in arrival order), so this process never sees a gap it made itself.
 */
export class Ingestor {
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #clock: () => number;

  constructor(
    private readonly store: IngestStore,
    private readonly registry: RouterRegistry,
    private readonly vouchers: VoucherCheck,
    private readonly opts: IngestOptions,
    private readonly counters: Counters,
    private readonly log: Logger,
  ) {
    this.#clock = opts.clock ?? Date.now;
  }

  handle(topic: string, payload: Buffer): Promise<IngestResult> {
    const address = routerOfTopic(topic);
    if (!address) {
      this.counters.inc('qlink_gateway_batches_total', { result: 'refused' });
      this.log.warn({ topic: topic.slice(0, 120) }, 'usage on a topic that names no router address');
      return Promise.resolve('refused');
    }
    const prev = this.#queues.get(address) ?? Promise.resolve();
    const run = prev.then(() => this.#handle(address, payload));
    const tail = run.catch(() => undefined);
    this.#queues.set(address, tail);
    void tail.then(() => {
      if (this.#queues.get(address) === tail) this.#queues.delete(address);
    });
    return run.then((r) => {
      this.counters.inc('qlink_gateway_batches_total', { result: r });
      return r;
    });
  }

  async #handle(address: string, payload: Buffer): Promise<IngestResult> {
    const p = parseBatch(address, payload, this.opts.maxPayloadBytes, this.opts.deployment);
    if (!p.ok) return this.#refuse(address, p);
    const b = p.batch;
    let router;
    try {
      router = await this.registry.lookup(b.router);
    } catch (e) {
      this.log.warn({ router: address, seq: b.seq, err: (e as Error).message }, 'registry unreachable; batch left for the router to resend');
      return 'retry';
    }
    if (!router || !router.active) {
      return this.#refuse(address, {
        kind: 'unknown-router',
        detail: router ? 'router retired on chain' : 'router key not registered on chain',
        seq: b.seq,
        hash: b.hash,
      });
    }
    return this.#store(address, b, router.owner);
  }

  async #store(address: string, b: Batch, owner: string): Promise<IngestResult> {
    let refused: Map<number, string>;
    let unused: Set<number>;
    try {
      ({ refused, unused } = await this.vouchers.check(b, owner));
    } catch (e) {
      if (!(e instanceof VouchersUndecided)) throw e;
      this.log.warn({ router: address, seq: b.seq, err: e.message }, 'vouchers cannot be checked now; batch left for the router to resend');
      return 'retry';
    }
    const out = await this.store.storeBatch(address, b, this.#clock(), new Set([...refused.keys(), ...unused]));
    switch (out.kind) {
      case 'stored':
        this.counters.inc('qlink_gateway_records_stored_total', {}, b.records.length);
        if (refused.size) await this.#refusedVouchers(address, b, refused);
        this.#ack(address, b.seq);
        await this.#promoteHeld(address, b.seq + 1, owner);
        return 'stored';
      case 'duplicate':
        this.#ack(address, b.seq);
        return 'duplicate';
      case 'fork':
        return this.#refuse(address, { kind: 'fork', detail: out.reason, seq: b.seq, hash: b.hash });
      case 'gap': {
        const id = await this.store.report(
          { router: address, kind: 'gap', seq: b.seq, hash: b.hash, detail: `head is ${out.head}`, payload: b, at: this.#clock() },
          'held',
        );
        this.counters.inc('qlink_gateway_anomalies_total', { kind: 'gap' });
        this.log.warn({ router: address, seq: b.seq, head: out.head }, 'batch held: sequence gap');
        // Another gateway may have stored the missing batch while this one was writing the hold: look once more.
        if ((await this.store.head(address))?.seq === b.seq - 1) return this.#resolveHeld(address, id, b, owner);
        return 'held';
      }
    }
  }

  /** The batch is the router's signed claim of usage and is kept; the vouchers that failed are kept out of settlement and reported. */
  async #refusedVouchers(address: string, b: Batch, refused: Map<number, string>): Promise<void> {
    this.counters.inc('qlink_gateway_anomalies_total', { kind: 'bad-voucher' });
    this.counters.inc('qlink_gateway_vouchers_refused_total', {}, refused.size);
    const detail = refusedDetail(b, refused);
    this.log.warn({ router: address, seq: b.seq, detail }, 'batch stored without vouchers that failed the check');
    await this.store.report({ router: address, kind: 'bad-voucher', seq: b.seq, hash: b.hash, detail, payload: null, at: this.#clock() }, 'reported');
  }

  async #resolveHeld(address: string, id: number, b: Batch, owner: string): Promise<IngestResult> {
    const r = await this.#store(address, b, owner);
    if (r === 'stored' || r === 'duplicate' || r === 'refused') await this.store.resolve(id, this.#clock());
    return r;
  }

  /** Held batches that now extend the chain are stored and acked without waiting for a resend. */
  async #promoteHeld(address: string, seq: number, owner: string): Promise<void> {
    for (const h of await this.store.held(address, seq)) {
      if (!h.payload) continue;
      this.log.info({ router: address, seq }, 'storing a held batch: its predecessor arrived');
      await this.#resolveHeld(address, h.id, h.payload, owner);
    }
  }

  async #refuse(address: string, r: Refusal): Promise<IngestResult> {
    this.counters.inc('qlink_gateway_anomalies_total', { kind: r.kind });
    this.log.warn({ router: address, kind: r.kind, seq: r.seq, detail: r.detail }, 'batch refused');
    await this.store.report({ router: address, ...r, payload: null, at: this.#clock() }, 'reported');
    return 'refused';
  }

  #ack(address: string, seq: number): void {
    this.counters.inc('qlink_gateway_acks_total');
    this.opts.ack(address, [seq]);
  }

  /** Resolves when every batch handed in so far is done. */
  async drain(): Promise<void> {
    while (this.#queues.size) await Promise.all([...this.#queues.values()]);
  }
}
