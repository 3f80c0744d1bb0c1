/**
 * A stand-in gateway for test/uplink.netns.test.ts, run inside the testbed's
 * upstream namespace: `node uplink-gateway.js <mqtt-url> <out.jsonl>`.
 * Verifies each batch, stores it once and in order (hash chain), acks it, and
 * writes one JSON line per event: stored batch, repeated delivery (same hash
 * or not), refusal.
 */
import { appendFileSync } from 'node:fs';
import { connect } from 'mqtt';
import { type Batch, batchProblem, batchSchema, ZERO_HASH } from '../protocol/src/index.js';
import { verifyP256 } from '../protocol/src/node/index.js';
import { signedAck } from './helpers/gateway-key.js';

const [url, out] = process.argv.slice(2) as [string, string];
const stored = new Map<number, string>();
const emit = (o: object) => appendFileSync(out, JSON.stringify(o) + '\n');

const client = connect(url, { clientId: 'qlink-test-gateway', reconnectPeriod: 200, clean: true });
client.on('connect', () => {
  client.subscribe('qlink/v1/+/usage', { qos: 1 });
  emit({ type: 'connected' });
});
client.on('message', (topic, payload) => {
  const router = topic.split('/')[2]!;
  let b: Batch;
  try {
    b = batchSchema.parse(JSON.parse(payload.toString()));
  } catch (e) {
    return emit({ type: 'problem', problem: `unparsable: ${(e as Error).message.slice(0, 200)}` });
  }
  const problem = batchProblem(b, verifyP256);
  if (problem) return emit({ type: 'problem', seq: b.seq, problem });
  const have = stored.get(b.seq);
  if (have !== undefined) {
    emit({ type: 'dup', seq: b.seq, sameHash: have === b.hash });
  } else {
    const prev = b.seq === 1 ? ZERO_HASH : stored.get(b.seq - 1);
    if (prev === undefined) return emit({ type: 'gap', seq: b.seq }); // not acked: the router resends in order
    if (prev !== b.prev) return emit({ type: 'problem', seq: b.seq, problem: 'hash chain broken' });
    stored.set(b.seq, b.hash);
    emit({ type: 'batch', seq: b.seq, hash: b.hash, records: b.records });
  }
  client.publish(`qlink/v1/${router}/ack`, signedAck(router, [b.seq]), { qos: 1 });
});
process.on('SIGTERM', () => {
  client.end(true);
  process.exit(0);
});
