import { fromHex } from '../../protocol/src/index.js';

/**
 * A read-only VM script that calls `getPlan(owner, id)` for each of a range
 * of plan ids, so one `invokescript` answers which of an owner's plans exist
 * (the contract keeps no list of them). Built by hand, without neon-js, so
 * the router can run it too. Each call leaves its result on the stack, in
 * call order.
 */
const PUSHDATA1 = 0x0c;
const PUSHINT8 = 0x00;
const PUSHINT16 = 0x01;
const PACK = 0xc0;
const SYSCALL = 0x41;
/** interop hash of System.Contract.Call (first 4 bytes of its name's SHA-256, little-endian). */
const CONTRACT_CALL = [0x62, 0x7d, 0x5b, 0x52];
/** CallFlags.ReadStates: the script cannot write or notify. */
const READ_STATES = 0x01;

function pushInt(n: number): number[] {
  if (n >= -1 && n <= 16) return [0x10 + n];
  if (n >= -128 && n <= 127) return [PUSHINT8, n & 0xff];
  if (n >= -32768 && n <= 32767) return [PUSHINT16, n & 0xff, (n >> 8) & 0xff];
  throw new RangeError(`integer ${n} out of this builder's range`);
}

function pushData(b: Uint8Array): number[] {
  if (b.length > 255) throw new RangeError('push of over 255 bytes');
  return [PUSHDATA1, b.length, ...b];
}

/** Script hashes are written 0x… big-endian; the VM takes them little-endian. */
const hashLe = (h: string): Uint8Array => fromHex(h.replace(/^0x/, ''), 20, 'script hash').reverse();

export function getPlansScript(contract: string, owner: string, ids: readonly number[]): Uint8Array {
  const method = new TextEncoder().encode('getPlan');
  const c = hashLe(contract);
  const o = hashLe(owner);
  const out: number[] = [];
  for (const id of ids) {
    // Arguments go on in reverse, then their count and PACK.
    out.push(...pushInt(id), ...pushData(o), ...pushInt(2), PACK, ...pushInt(READ_STATES), ...pushData(method), ...pushData(c), SYSCALL, ...CONTRACT_CALL);
  }
  return Uint8Array.from(out);
}
