import { addressOfKey, batchProblem, type Deployment, ZERO_HASH } from '../../../../protocol/src/index.js';
import { verifyP256 } from '../../../../protocol/src/node/index.js';
import type { OwnerViewStore } from '../../store/store.js';
import type { ChainHead, StoredBatch } from '../../store/types.js';

export interface ChainCheck {
  /** verified: batches 1..lastSeq all check out; broken: one did not; checking: the rest is checked on a later call. */
  state: 'verified' | 'broken' | 'checking';
  /** Batches 1..checkedTo verified so far. */
  checkedTo: number;
  problem: string | null;
}

interface Progress {
  seq: number;
  hash: string;
  lastRecord: number;
  problem: string | null;
}

export interface AuditOptions {
  /** Batches read from the store at a time. */
  pageSize?: number;
  /** Batches verified per check() call at most, so one page load stays short on a large store; the rest on the next. */
  budget?: number;
  /** ...and time spent per call at most (about 1,000-4,000 batches a second here, a P-256 verification and a Merkle root each). */
  budgetMs?: number;
}

/**
 * Verifies each router's stored batch chain again from the stored rows, with
 * the same code the ingest used: sequence numbers 1, 2, 3… without a gap,
 * each batch's prev the hash of the one before, record ids rising across
 * batches, and per batch its Merkle root over the stored records, its hash
 * and the router's signature. Stored batches never change, so what was
 * verified is remembered (per process) and only new batches are read on the
 * next call; the remembered tip's hash is compared with the store each time,
 * so a changed row restarts that router's check from batch 1.
 */
export class ChainAuditor {
  readonly #progress = new Map<string, Progress>();
  readonly #deployment: Deployment;
  readonly #pageSize: number;
  readonly #budget: number;
  readonly #budgetMs: number;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OwnerViewStore,
    deployment: Deployment,
    o: AuditOptions = {},
  ) {
    this.#deployment = { networkMagic: deployment.networkMagic, contract: deployment.contract.toLowerCase() };
    this.#pageSize = o.pageSize ?? 200;
    this.#budget = o.budget ?? 20_000;
    this.#budgetMs = o.budgetMs ?? 1500;
  }

  /** One check at a time: two page loads at once would only verify the same batches twice. */
  check(heads: ChainHead[]): Promise<Map<string, ChainCheck>> {
    const run = this.#turn.then(() => this.#check(heads));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #check(heads: ChainHead[]): Promise<Map<string, ChainCheck>> {
    const out = new Map<string, ChainCheck>();
    let budget = this.#budget;
    const until = performance.now() + this.#budgetMs;
    for (const h of heads) {
      let p = await this.#resume(h.router);
      while (!p.problem && p.seq < h.lastSeq && budget > 0 && performance.now() < until) {
        const page = await this.store.storedBatches(h.router, p.seq, Math.min(this.#pageSize, budget));
        if (!page.length) {
          p = { ...p, problem: `batches after ${p.seq} are missing (the newest is ${h.lastSeq})` };
          break;
        }
        budget -= page.length;
        for (const b of page) {
          p = this.#verify(h.router, p, b);
          if (p.problem) break;
        }
      }
      // Only what verified is remembered: a broken batch is read again next time (cheap, and an operator may have repaired it).
      this.#progress.set(h.router, { ...p, problem: null });
      const state = p.problem ? 'broken' : p.seq >= h.lastSeq ? 'verified' : 'checking';
      out.set(h.router, { state, checkedTo: p.seq, problem: p.problem });
    }
    return out;
  }

  /** Where this router's check left off, if the store still holds the same batch there. */
  async #resume(router: string): Promise<Progress> {
    const start: Progress = { seq: 0, hash: ZERO_HASH, lastRecord: 0, problem: null };
    const p = this.#progress.get(router);
    if (!p || p.seq === 0) return start;
    return (await this.store.batchHash(router, p.seq)) === p.hash ? p : start;
  }

  #verify(router: string, p: Progress, b: StoredBatch): Progress {
    const fail = (why: string): Progress => ({ ...p, problem: `batch ${b.seq}: ${why}` });
    if (b.seq !== p.seq + 1) return { ...p, problem: `batch ${p.seq + 1} is missing` };
    if (b.prev !== p.hash)
      return fail(b.seq === 1 ? 'the first batch does not start from the zero hash' : `does not link to batch ${p.seq} (previous hash differs)`);
    if (addressOfKey(b.router) !== router) return fail("signed with another router's key");
    if (!b.records.length) return fail('its records are missing');
    if (b.records[0]!.id <= p.lastRecord) return fail(`record ids do not rise above batch ${p.seq}'s`);
    const problem = batchProblem({ v: 1, networkMagic: this.#deployment.networkMagic, contract: this.#deployment.contract, ...b }, verifyP256);
    if (problem) return fail(problem);
    return { seq: b.seq, hash: b.hash, lastRecord: b.records[b.records.length - 1]!.id, problem: null };
  }
}
