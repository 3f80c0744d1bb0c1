import { unbase58 } from './address.js';
import { concat, equalBytes, fromHex, scriptHashToVm, toHex, u32le, u64le } from './bytes.js';
import { sha256 } from './hash.js';

/**
 * NEO N3 transactions without neon-js, for the router's CLI (`qlink
 * register`), which the package ships without it: contract-call scripts as
 * neon-js's ScriptBuilder emits them, and the transaction's wire form
 * (neo Transaction.cs: version, nonce, fees, validUntilBlock, signers,
 * attributes, script; then the witnesses). test/neo-tx.test.ts holds both to
 * neon-js's bytes.
 */

export type ScriptArg =
  | { type: 'Hash160'; value: string }
  | { type: 'PublicKey' | 'ByteArray'; value: Uint8Array | string }
  | { type: 'Integer'; value: bigint | number };

const OP = {
  PUSHINT8: 0x00,
  PUSHINT16: 0x01,
  PUSHINT32: 0x02,
  PUSHINT64: 0x03,
  PUSHINT128: 0x04,
  PUSHDATA1: 0x0c,
  PUSHDATA2: 0x0d,
  PUSHM1: 0x0f,
  PUSH0: 0x10,
  PACK: 0xc0,
  SYSCALL: 0x41,
} as const;
/** System.Contract.Call's interop id: the first 4 bytes of SHA-256 of its name. */
const CONTRACT_CALL = sha256(new TextEncoder().encode('System.Contract.Call')).subarray(0, 4);
const CALL_FLAGS_ALL = 15;

function pushData(b: Uint8Array): Uint8Array {
  if (b.length < 0x100) return concat(Uint8Array.of(OP.PUSHDATA1, b.length), b);
  if (b.length < 0x10000) return concat(Uint8Array.of(OP.PUSHDATA2, b.length & 0xff, b.length >> 8), b);
  throw new RangeError('push over 65,535 bytes');
}

/** The shortest PUSHINT of a two's complement little-endian integer, as neon-js emits it. */
function pushInt(v: bigint): Uint8Array {
  if (v >= -1n && v <= 16n) return Uint8Array.of(OP.PUSH0 + Number(v));
  for (const [op, bytes] of [
    [OP.PUSHINT8, 1],
    [OP.PUSHINT16, 2],
    [OP.PUSHINT32, 4],
    [OP.PUSHINT64, 8],
    [OP.PUSHINT128, 16],
  ] as const) {
    const lim = 1n << BigInt(bytes * 8 - 1);
    if (v >= -lim && v < lim) {
      const out = new Uint8Array(bytes + 1);
      out[0] = op;
      let x = BigInt.asUintN(bytes * 8, v);
      for (let i = 1; i <= bytes; i++) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      return out;
    }
  }
  throw new RangeError('integer over 128 bits');
}

const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? fromHex(v) : v);

function pushArg(a: ScriptArg): Uint8Array {
  switch (a.type) {
    case 'Hash160':
      return pushData(scriptHashToVm(a.value));
    case 'Integer':
      return pushInt(BigInt(a.value));
    default:
      return pushData(bytesOf(a.value));
  }
}

/** One script that calls `contract` once per entry, in order (what neon-js's sc.createScript emits for them). */
export function contractCallScript(contract: string, calls: ReadonlyArray<{ operation: string; args: readonly ScriptArg[] }>): Uint8Array {
  const hash = scriptHashToVm(contract);
  return concat(
    ...calls.map((c) =>
      concat(
        ...[...c.args].reverse().map(pushArg),
        pushInt(BigInt(c.args.length)),
        Uint8Array.of(OP.PACK),
        pushInt(BigInt(CALL_FLAGS_ALL)),
        pushData(new TextEncoder().encode(c.operation)),
        pushData(hash),
        Uint8Array.of(OP.SYSCALL),
        CONTRACT_CALL,
      ),
    ),
  );
}

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return concat(Uint8Array.of(0xfe), u32le(n));
}
const varBytes = (b: Uint8Array) => concat(varint(b.length), b);

export interface UnsignedTx {
  nonce: number;
  systemFee: bigint;
  networkFee: bigint;
  validUntilBlock: number;
  /** Script hashes (0x…); every signer CalledByEntry. */
  signers: string[];
  script: Uint8Array;
}
export interface Witness {
  invocation: Uint8Array;
  verification: Uint8Array;
}

const CALLED_BY_ENTRY = 0x01;

/** The unsigned part: what the transaction's hash is over. */
export function serializeUnsigned(t: UnsignedTx): Uint8Array {
  return concat(
    Uint8Array.of(0),
    u32le(t.nonce),
    u64le(t.systemFee),
    u64le(t.networkFee),
    u32le(t.validUntilBlock),
    varint(t.signers.length),
    ...t.signers.map((s) => concat(scriptHashToVm(s), Uint8Array.of(CALLED_BY_ENTRY))),
    varint(0),
    varBytes(t.script),
  );
}

export function serializeTx(t: UnsignedTx, witnesses: readonly Witness[]): Uint8Array {
  return concat(serializeUnsigned(t), varint(witnesses.length), ...witnesses.map((w) => concat(varBytes(w.invocation), varBytes(w.verification))));
}

/** The transaction id (0x…, as RPC shows it: the hash's bytes reversed). */
export const txId = (t: UnsignedTx): string => '0x' + toHex(sha256(serializeUnsigned(t)).reverse());

/** What a witness signs: the network magic, then the transaction's hash. */
export const signData = (t: UnsignedTx, magic: number): Uint8Array => concat(u32le(magic), sha256(serializeUnsigned(t)));

/** A standard account's invocation script: its signature pushed. */
export const signatureInvocation = (sig: Uint8Array): Uint8Array => concat(Uint8Array.of(OP.PUSHDATA1, 64), sig);

/** The private key (hex) a WIF names; throws on a bad checksum or form (0x80 ‖ key 32 ‖ 0x01, base58check). */
export function privateKeyOfWif(wif: string): string {
  const b = unbase58(wif.trim());
  if (b.length !== 38 || b[0] !== 0x80 || b[33] !== 0x01) throw new TypeError('not a WIF of a compressed key');
  if (!equalBytes(sha256(sha256(b.subarray(0, 34))).subarray(0, 4), b.subarray(34))) throw new TypeError('WIF checksum does not match');
  return toHex(b.subarray(1, 33));
}
