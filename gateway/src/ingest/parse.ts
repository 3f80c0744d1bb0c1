import { addressOfKey, type Batch, batchProblem, batchSchema, type Deployment, parseTopic } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { AnomalyKind } from '../store/types.js';

export interface Refusal {
  kind: AnomalyKind;
  detail: string;
  seq: number;
  hash: string;
}

export type Parsed = { ok: true; batch: Batch } | ({ ok: false } & Refusal);

/** The router address a usage topic names, or null when it names none. */
export function routerOfTopic(topic: string): string | null {
  const t = parseTopic(topic);
  return t?.kind === 'usage' ? t.routerId : null;
}

const refuse = (kind: AnomalyKind, detail: string, b?: Partial<Batch>): Parsed => ({
  ok: false,
  kind,
  detail,
  seq: typeof b?.seq === 'number' ? b.seq : 0,
  hash: typeof b?.hash === 'string' ? b.hash.slice(0, 64) : '',
});

/**
 * Everything about a batch that needs neither the chain nor the store, in the
 * order of docs/usage-batches.md: size, JSON, schema, deployment, the key
 * behind the topic's address, then ids, time range, root, hash and signature.
 */
export function parseBatch(address: string, payload: Buffer, maxBytes: number, d: Deployment): Parsed {
  if (payload.length > maxBytes) return refuse('oversized', `${payload.length} bytes, limit ${maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return refuse('malformed', 'not JSON');
  }
  const r = batchSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return refuse('malformed', `schema: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.slice(0, 300), json as Partial<Batch>);
  }
  const b = r.data;
  if (b.networkMagic !== d.networkMagic || b.contract !== d.contract.toLowerCase()) {
    return refuse('wrong-deployment', `batch is for ${b.networkMagic}/${b.contract}`, b);
  }
  if (addressOfKey(b.router) !== address) return refuse('bad-batch', 'router key is not the key of the topic address', b);
  const problem = batchProblem(b, verifyP256);
  return problem ? refuse('bad-batch', problem, b) : { ok: true, batch: b };
}
