import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  addressOf,
  type Batch,
  batchHeader,
  type Deployment,
  merkleRoot,
  recordBytes,
  scriptHashOf,
  sha256,
  toHex,
  type UsageRecord,
  ZERO_HASH,
} from '../protocol/src/index.js';
import { compressedPublicKey } from '../protocol/src/node/index.js';

export const deployment: Deployment = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };

/** A router for gateway tests: its own P-256 key and hash chain, batches built with the agent's own format code. */
export class SimRouter {
  readonly publicKey: string;
  readonly address: string;
  seq = 0;
  prev = ZERO_HASH;
  nextRecord = 1;
  #t = 1_700_000_000_000;

  constructor(
    readonly key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    readonly d: Deployment = deployment,
  ) {
    this.publicKey = compressedPublicKey(key);
    this.address = addressOf(scriptHashOf(this.publicKey));
  }

  records(n: number, channelId: number | null = null, voucher = 0): UsageRecord[] {
    return Array.from({ length: n }, (_, i) => {
      const startMs = this.#t;
      this.#t += 60_000;
      return {
        id: this.nextRecord++,
        sessionId: 1 + (i % 3),
        channelId,
        startMs,
        endMs: this.#t,
        bytesDown: 1000 * (i + 1),
        bytesUp: 100,
        seconds: 60,
        cost: channelId ? 10 : 0,
        voucher: channelId && voucher ? { amount: voucher + i, signature: 'ab'.repeat(64) } : null,
      };
    });
  }

  /** The next batch of the chain (advances seq and prev), or one built from the given parts without advancing. */
  build(records: UsageRecord[], o: { seq?: number; prev?: string; key?: KeyObject; advance?: boolean } = {}): Batch {
    const seq = o.seq ?? this.seq + 1;
    const prev = o.prev ?? this.prev;
    const root = toHex(merkleRoot(records.map((r) => recordBytes(this.publicKey, r))));
    const msg = batchHeader(this.d, this.publicKey, seq, prev, root);
    const hash = toHex(sha256(msg));
    const b: Batch = {
      v: 1,
      router: this.publicKey,
      networkMagic: this.d.networkMagic,
      contract: this.d.contract,
      seq,
      prev,
      root,
      hash,
      fromMs: Math.min(...records.map((r) => r.startMs)),
      toMs: Math.max(...records.map((r) => r.endMs)),
      records,
      signature: sign('sha256', msg, { key: o.key ?? this.key, dsaEncoding: 'ieee-p1363' }).toString('hex'),
    };
    if (o.advance ?? true) {
      this.seq = seq;
      this.prev = hash;
    }
    return b;
  }

  next(n = 3, channelId: number | null = null, voucher = 0): Batch {
    return this.build(this.records(n, channelId, voucher));
  }
}

/** The router's MQTT side: publishes to its usage topic, collects the seqs the gateway acks. */
export async function routerClient(
  url: string,
  r: SimRouter,
): Promise<{
  acks: number[];
  send(b: Batch | Buffer | string, topic?: string): Promise<void>;
  end(): Promise<void>;
}> {
  const { connectAsync } = await import('mqtt');
  const c = await connectAsync(url, { clientId: `sim-${r.address}`, reconnectPeriod: 200 });
  const acks: number[] = [];
  await c.subscribeAsync(`qlink/v1/${r.address}/ack`, { qos: 1 });
  c.on('message', (_t, p) => acks.push(...(JSON.parse(p.toString()) as { seqs: number[] }).seqs));
  return {
    acks,
    async send(b, topic = `qlink/v1/${r.address}/usage`) {
      await c.publishAsync(topic, Buffer.isBuffer(b) || typeof b === 'string' ? b : JSON.stringify(b), { qos: 1 });
    },
    async end() {
      await c.endAsync();
    },
  };
}
