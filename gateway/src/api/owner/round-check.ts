import type { JsonRpc } from '../../../../chain/src/json-rpc.js';
import { verifyProof } from '../../../../chain/src/verify-proof.js';
import type { Deployment } from '../../../../protocol/src/index.js';
import type { OwnerViewStore } from '../../store/store.js';
import type { RouterRound } from '../../store/types.js';
import type { ProofBuilder } from '../proof.js';

export interface RoundCheck {
  /** verified: a sample proof (the router's newest batch of the round) checked out against the chain; checking: not asked yet. */
  state: 'verified' | 'failed' | 'checking';
  detail: string;
}

/** A failed check is asked again after this long (the chain may have been away). */
const RETRY_MS = 60_000;
const MAX_KNOWN = 10_000;

/**
 * What never changes, from the chain, kept: a transaction's application log
 * once it has one, the node's network. Every router of one round shares the
 * round's transaction, so one log read serves them all.
 */
export function cachedRpc(rpc: JsonRpc): JsonRpc {
  const known = new Map<string, unknown>();
  return {
    async call<T>(method: string, params: unknown[]): Promise<T> {
      if (method !== 'getapplicationlog' && method !== 'getversion') return rpc.call<T>(method, params);
      const key = `${method}:${JSON.stringify(params)}`;
      if (known.has(key)) return known.get(key) as T;
      const v = await rpc.call<T>(method, params);
      if (known.size >= MAX_KNOWN) known.delete(known.keys().next().value!);
      known.set(key, v);
      return v;
    },
  };
}

/**
 * The owner's page's check of each router's newest anchored round: the
 * proof of the router's newest batch in it, with the stored batch, verified
 * against the chain by the same function `qlink-gateway verify` runs
 * (chain/src/verify-proof.ts). Results are kept: a verified proof of an
 * anchored round stays verified.
 */
export class RoundChecker {
  readonly #done = new Map<string, RoundCheck & { at: number }>();
  readonly #rpc: JsonRpc;

  constructor(
    private readonly proofs: ProofBuilder,
    private readonly store: OwnerViewStore,
    rpc: JsonRpc,
    private readonly d: Deployment,
    /** The gateway's own anchorer (NEO address), pinned when known. */
    private readonly anchorer?: string,
    private readonly budgetMs = 1_500,
    private readonly clock: () => number = Date.now,
  ) {
    this.#rpc = cachedRpc(rpc);
  }

  async check(rounds: RouterRound[]): Promise<Map<string, RoundCheck>> {
    const out = new Map<string, RoundCheck>();
    const until = performance.now() + this.budgetMs;
    for (const r of rounds) {
      const key = `${r.txid}:${r.router}:${r.lastSeq}`;
      const hit = this.#done.get(key);
      if (hit && (hit.state === 'verified' || this.clock() - hit.at < RETRY_MS)) {
        out.set(r.router, hit);
        continue;
      }
      if (performance.now() > until) {
        out.set(r.router, { state: 'checking', detail: 'the proof is checked on a later load' });
        continue;
      }
      const c = await this.#verify(r);
      if (this.#done.size >= MAX_KNOWN) this.#done.delete(this.#done.keys().next().value!);
      this.#done.set(key, { ...c, at: this.clock() });
      out.set(r.router, c);
    }
    return out;
  }

  async #verify(r: RouterRound): Promise<RoundCheck> {
    try {
      const proof = await this.proofs.proof(r.router, r.lastSeq);
      const [b] = await this.store.storedBatches(r.router, r.lastSeq - 1, 1);
      const batch = b && { v: 1, networkMagic: this.d.networkMagic, contract: this.d.contract.toLowerCase(), ...b };
      const res = await verifyProof(this.#rpc, proof, { batch, ...(this.anchorer ? { anchorer: this.anchorer } : {}) });
      const bad = res.steps.find((s) => !s.ok);
      if (bad?.what === 'the chain answers') return { state: 'checking', detail: `the chain did not answer (${bad.detail}); checked again later` };
      return res.ok
        ? { state: 'verified', detail: `batch ${r.lastSeq}'s proof: ${res.steps.length} checks against the chain held` }
        : { state: 'failed', detail: `batch ${r.lastSeq}'s proof: ${bad?.what}: ${bad?.detail}` };
    } catch (e) {
      return { state: 'failed', detail: `batch ${r.lastSeq}'s proof could not be checked: ${(e as Error).message}` };
    }
  }
}
