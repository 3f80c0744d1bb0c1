import {
  addressOfKey,
  batchProblem,
  batchSchema,
  normalizeScriptHash,
  type Notification,
  parseEvents,
  type Proof,
  proofSchema,
  rootOfPath,
  scriptHashOfAddress,
} from '../../protocol/src/index.js';
import { verifyP256 } from '../../protocol/src/node/index.js';
import type { JsonRpc } from './json-rpc.js';

/** One thing the verifier checked, in words, and whether it held. */
export interface ProofStep {
  what: string;
  ok: boolean;
  detail: string;
}

export interface ProofCheck {
  ok: boolean;
  steps: ProofStep[];
  /** The proof as parsed, when it parsed. */
  proof: Proof | null;
}

export interface VerifyOptions {
  /** The batch as the router sent it (wire JSON): checked on its own and against the leaf. */
  batch?: unknown;
  /** The anchorer (NEO address) the caller trusts; without it the proof's own is reported, not judged. */
  anchorer?: string;
  /** The contract the caller trusts (0x hash); likewise. */
  contract?: string;
}

interface AppLog {
  executions: Array<{ trigger?: string; vmstate: string; exception?: string | null; notifications?: Notification[] }>;
}

/**
 * Checks a batch's inclusion proof against the chain with standard NEO
 * JSON-RPC only (getversion, getapplicationlog): the batch (when given)
 * verifies on its own and hashes to the leaf, the path leads from the leaf
 * to the root, and the round's transaction HALTed on the proof's network
 * with RoundAnchored(anchorer, round, root) from the proof's contract; with
 * pins, the anchorer and contract are the trusted ones. Never throws: a node
 * that cannot be asked is a failed step.
 */
export async function verifyProof(rpc: JsonRpc, input: unknown, o: VerifyOptions = {}): Promise<ProofCheck> {
  const steps: ProofStep[] = [];
  const step = (what: string, ok: boolean, detail: string) => {
    steps.push({ what, ok, detail });
    return ok;
  };
  const done = (proof: Proof | null): ProofCheck => ({ ok: steps.length > 0 && steps.every((s) => s.ok), steps, proof });

  const parsed = proofSchema.safeParse(input);
  if (!parsed.success) {
    step(
      'the proof is well-formed',
      false,
      parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'proof'}: ${i.message}`)
        .join('; '),
    );
    return done(null);
  }
  const p = parsed.data;
  step('the proof is well-formed', true, `batch ${p.seq} of ${p.router}, round ${p.round}`);

  if (o.batch !== undefined) checkBatch(p, o.batch, step);

  const root = rootOfPath(p.leaf, p.index, p.size, p.path);
  step(
    'the path leads from the leaf to the root',
    root === p.root,
    root === p.root
      ? `leaf ${p.index} of ${p.size}, ${p.path.length} nodes`
      : `it leads to ${root ?? 'nothing (index, size and path do not fit)'}, the proof says ${p.root}`,
  );

  try {
    const v = await rpc.call<{ protocol?: { network?: number } }>('getversion', []);
    step("the node is on the proof's network", v.protocol?.network === p.network, `node ${v.protocol?.network}, proof ${p.network}`);
    const log = await rpc.call<AppLog>('getapplicationlog', [p.txid]);
    const ex = log.executions.find((e) => (e.trigger ?? 'Application') === 'Application');
    step(`transaction ${p.txid} HALTed`, ex?.vmstate === 'HALT', ex ? `${ex.vmstate}${ex.exception ? `: ${ex.exception}` : ''}` : 'no execution in its log');
    const anchorer = scriptHashOfAddress(p.anchorer);
    // A FAULTed execution changed nothing, whatever it notified before it failed.
    const events = parseEvents(p.contract, ex?.vmstate === 'HALT' ? (ex.notifications ?? []) : []).filter((e) => e.name === 'RoundAnchored');
    const hit = events.find((e) => e.params.anchorer === anchorer && e.params.round === BigInt(p.round) && e.params.root === p.root);
    step(
      `it anchored round ${p.round} with this root, by ${p.anchorer}, in contract ${p.contract}`,
      !!hit,
      hit
        ? 'RoundAnchored(anchorer, round, root) in its application log'
        : events.length
          ? `its RoundAnchored says ${events.map((e) => `round ${e.params.round}, root ${e.params.root}, by ${e.params.anchorer}`).join('; ')}`
          : 'no RoundAnchored event of this contract in its application log',
    );
  } catch (e) {
    step('the chain answers', false, (e as Error).message.slice(0, 300));
  }

  if (o.anchorer !== undefined) step('the anchorer is the pinned one', o.anchorer === p.anchorer, `pinned ${o.anchorer}, proof ${p.anchorer}`);
  if (o.contract !== undefined) {
    const same = normalizeScriptHash(o.contract) === normalizeScriptHash(p.contract);
    step('the contract is the pinned one', same, `pinned ${o.contract}, proof ${p.contract}`);
  }
  return done(p);
}

function checkBatch(p: Proof, input: unknown, step: (what: string, ok: boolean, detail: string) => boolean): void {
  const b = batchSchema.safeParse(input);
  if (!b.success) {
    step(
      'the batch is well-formed',
      false,
      b.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'batch'}: ${i.message}`)
        .join('; '),
    );
    return;
  }
  const batch = b.data;
  step('the batch is well-formed', true, `batch ${batch.seq}, ${batch.records.length} records`);
  const problem = batchProblem(batch, verifyP256);
  step('the batch verifies (records root, hash, router signature)', problem === null, problem ?? 'as the router signed it');
  const same =
    batch.networkMagic === p.network &&
    normalizeScriptHash(batch.contract) === normalizeScriptHash(p.contract) &&
    addressOfKey(batch.router) === p.router &&
    batch.seq === p.seq;
  step(
    'it is the batch the proof is for',
    same,
    `${addressOfKey(batch.router)} #${batch.seq} on ${batch.networkMagic}; proof ${p.router} #${p.seq} on ${p.network}`,
  );
  step('its hash is the leaf', batch.hash === p.leaf, batch.hash === p.leaf ? batch.hash : `batch ${batch.hash}, leaf ${p.leaf}`);
}
