import { tx, u } from '@cityofzion/neon-js';
import type { QlinkClient } from '../../../chain/src/client.js';
import type { Account } from '../../../chain/src/neon.js';
import type { Channel, RoundHead } from '../../../protocol/src/index.js';

/** What a signed transaction's header says; read from its bytes so a restart needs nothing but the stored raw. */
export interface TxHeader {
  systemFee: bigint;
  networkFee: bigint;
  validUntilBlock: number;
}

// version u8, nonce u32, systemFee i64, networkFee i64, validUntilBlock u32 (NEO N3 transaction layout).
export function txHeader(raw: Buffer): TxHeader {
  return { systemFee: raw.readBigInt64LE(5), networkFee: raw.readBigInt64LE(13), validUntilBlock: raw.readUInt32LE(21) };
}

export interface BuiltTx extends TxHeader {
  txid: string;
  raw: Buffer;
  size: number;
}

export interface Executed {
  vmstate: 'HALT' | 'FAULT';
  exception: string | null;
}

/** The few chain calls settlement makes; a seam so tests and the bench can count or fake them. */
export interface SettleChain {
  /** The payer's account as a 0x script hash: it pays every fee and is the anchorer of this gateway's rounds. */
  readonly payer: string;
  height(): Promise<number>;
  /** Signed by the payer, and by each cosigner whose witness the script needs (a closer's, for a close). */
  build(script: string, validForBlocks: number, cosigners?: Account[]): Promise<BuiltTx>;
  /** A test invocation as the payer: the exception it would FAULT with, or null when it would HALT. */
  test(script: string): Promise<string | null>;
  /** Sends the bytes; a node that already has them is no error. */
  relay(raw: Buffer): Promise<void>;
  /** The application log, or null while the chain does not know the transaction. Throws when the RPC is unreachable. */
  executed(txid: string): Promise<Executed | null>;
  channel(id: number): Promise<Channel | null>;
  /** The anchorer's newest round on chain (0 before the first). */
  round(anchorer: string): Promise<RoundHead>;
  /** Whether the owner authorised the closer (both 0x script hashes). */
  isCloser(owner: string, closer: string): Promise<boolean>;
}

// neo-go answers "Unknown script container" for a transaction it has not seen.
const UNKNOWN = /unknown (script container|transaction|container)|not found/i;
const ALREADY = /already (exists|in)|AlreadyExists|AlreadyInPool|already on chain/i;

/**
 * The RPC calls carry no timeout of their own: a node that stops answering
 * (SIGSTOP, a dead proxy) would hang a round for good. Give up instead; the
 * next round asks again.
 */
export function timed<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    t = setTimeout(() => fail(new Error(`chain RPC ${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

export function neonSettleChain(client: QlinkClient, payer: Account, timeoutMs = 15_000): SettleChain {
  const c = rawSettleChain(client, payer);
  return {
    payer: c.payer,
    height: () => timed(c.height(), timeoutMs, 'height'),
    build: (s, v, co) => timed(c.build(s, v, co), timeoutMs, 'build'),
    test: (s) => timed(c.test(s), timeoutMs, 'test'),
    relay: (r) => timed(c.relay(r), timeoutMs, 'relay'),
    executed: (id) => timed(c.executed(id), timeoutMs, 'getapplicationlog'),
    channel: (id) => timed(c.channel(id), timeoutMs, 'getChannel'),
    round: (a) => timed(c.round(a), timeoutMs, 'getRound'),
    isCloser: (o, k) => timed(c.isCloser(o, k), timeoutMs, 'isCloser'),
  };
}

function rawSettleChain(client: QlinkClient, payer: Account): SettleChain {
  return {
    payer: '0x' + payer.scriptHash,
    height: () => client.rpc.getBlockCount(),
    async build(script, validForBlocks, cosigners = []) {
      const others = cosigners.filter((a) => a.scriptHash !== payer.scriptHash);
      const b = await client.tx.build(script, [payer, ...others], { validForBlocks });
      return { txid: b.txid, raw: b.raw, size: b.size, ...txHeader(b.raw) };
    },
    async test(script) {
      const signer = new tx.Signer({ account: payer.scriptHash, scopes: tx.WitnessScope.CalledByEntry });
      const r = await client.rpc.invokeScript(u.HexString.fromHex(script), [signer]);
      return r.state === 'HALT' ? null : (r.exception ?? 'FAULT');
    },
    async relay(raw) {
      try {
        await client.tx.relay(raw);
      } catch (e) {
        if (!ALREADY.test((e as Error).message)) throw e;
      }
    },
    async executed(txid) {
      try {
        const log = await client.rpc.getApplicationLog(txid);
        const ex = log.executions[0];
        if (!ex) return null;
        return { vmstate: ex.vmstate === 'HALT' ? 'HALT' : 'FAULT', exception: ex.exception ?? null };
      } catch (e) {
        if (UNKNOWN.test((e as Error).message)) return null;
        throw e;
      }
    },
    channel: (id) => client.getChannel(BigInt(id)),
    round: (a) => client.getRound(a),
    isCloser: (o, k) => client.isCloser(o, k),
  };
}
