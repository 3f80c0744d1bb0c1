import { tx, u } from '@cityofzion/neon-js';
import type { QlinkClient } from '../chain/client.js';
import type { Account } from '../chain/neon.js';
import type { AnchorHead, Channel } from '../chain/records.js';

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
  height(): Promise<number>;
  /** Signed by the payer, and by each cosigner whose witness the script needs (the owner's, for a close). */
  build(script: string, validForBlocks: number, cosigners?: Account[]): Promise<BuiltTx>;
  /** A test invocation as the payer: the exception it would FAULT with, or null when it would HALT. */
  test(script: string): Promise<string | null>;
  /** Sends the bytes; a node that already has them is no error. */
  relay(raw: Buffer): Promise<void>;
  /** The application log, or null while the chain does not know the transaction. Throws when the RPC is unreachable. */
  executed(txid: string): Promise<Executed | null>;
  channel(id: number): Promise<Channel | null>;
  anchorHead(routerKey: string): Promise<AnchorHead>;
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
  const late = new Promise<never>((_, fail) => { t = setTimeout(() => fail(new Error(`chain RPC ${what}: no answer in ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

export function neonSettleChain(client: QlinkClient, payer: Account, timeoutMs = 15_000): SettleChain {
  const c = rawSettleChain(client, payer);
  return {
    height: () => timed(c.height(), timeoutMs, 'height'),
    build: (s, v, co) => timed(c.build(s, v, co), timeoutMs, 'build'),
    test: (s) => timed(c.test(s), timeoutMs, 'test'),
    relay: (r) => timed(c.relay(r), timeoutMs, 'relay'),
    executed: (id) => timed(c.executed(id), timeoutMs, 'getapplicationlog'),
    channel: (id) => timed(c.channel(id), timeoutMs, 'getChannel'),
    anchorHead: (k) => timed(c.anchorHead(k), timeoutMs, 'getAnchorHead'),
  };
}

function rawSettleChain(client: QlinkClient, payer: Account): SettleChain {
  return {
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
    anchorHead: (key) => client.getAnchorHead(key),
  };
}
