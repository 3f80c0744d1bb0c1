import { addressOf, type Deployment, type Proof, roundPath, roundRoot } from '../../../protocol/src/index.js';
import type { ProofStore } from '../store/store.js';
import { HttpError } from './query.js';

/** Rounds whose leaves are kept in memory: a proof of any batch of a recent round costs no read of the round. */
const KEPT_ROUNDS = 8;

/**
 * Inclusion proofs of stored batches in anchored rounds (protocol/src/round.ts,
 * wire/proof.ts): the batch's leaf index, the audit path to the round's root,
 * and the transaction that anchored it. A round's leaves are read once and
 * kept for the next proofs of the same round.
 */
export class ProofBuilder {
  readonly #leaves = new Map<string, string[]>();

  constructor(
    private readonly store: ProofStore,
    private readonly d: Deployment,
  ) {}

  /** The proof, or an HttpError 404 that says why there is none (yet). */
  async proof(router: string, seq: number): Promise<Proof> {
    const at = await this.store.locate(router, seq);
    if (!at) throw new HttpError(404, `no batch ${seq} of router ${router} is stored here`);
    const p = at.place;
    if (!p) throw new HttpError(404, `batch ${seq} of router ${router} is in no settlement round yet: the next round takes it`);
    if (!p.txid) throw new HttpError(404, `batch ${seq} of router ${router} is in round ${p.round}, which is not anchored on chain yet`);
    const leaves = await this.#roundLeaves(p.anchorer, p.round, p.root);
    if (leaves[p.index] !== at.hash) throw new HttpError(409, `the stored round ${p.round} does not hold this batch at its index`);
    return {
      v: 1,
      network: this.d.networkMagic,
      contract: this.d.contract.toLowerCase(),
      anchorer: addressOf(p.anchorer.replace(/^0x/, '')),
      round: p.round,
      txid: p.txid,
      index: p.index,
      size: p.size,
      router,
      seq,
      leaf: at.hash,
      path: roundPath(leaves, p.index),
      root: p.root,
    };
  }

  async #roundLeaves(anchorer: string, round: number, root: string): Promise<string[]> {
    const key = `${anchorer}:${round}`;
    const hit = this.#leaves.get(key);
    if (hit) return hit;
    const leaves = await this.store.roundHashes(anchorer, round);
    // A round is written once; one whose stored batches no longer give its root serves no proofs.
    if (!leaves.length || roundRoot(leaves) !== root) throw new HttpError(409, `the stored batches of round ${round} no longer give its root`);
    if (this.#leaves.size >= KEPT_ROUNDS) this.#leaves.delete(this.#leaves.keys().next().value!);
    this.#leaves.set(key, leaves);
    return leaves;
  }
}
