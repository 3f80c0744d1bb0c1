import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { addressOf, scriptHashOf } from '../../../protocol/src/index.js';

export const KEY_FILE = 'router.key';

/** The router's NEO identity. The private key stays inside a KeyObject and is never exported or logged. */
export interface RouterIdentity {
  /** Compressed secp256r1 public key, 33 bytes hex: the key the contract registers. */
  publicKey: string;
  /** NEO N3 address of the public key's verification script; also the router id in MQTT topics. */
  address: string;
  /** Script hash in NEO's display order (big-endian hex, no 0x). */
  scriptHash: string;
  /** r‖s (64 bytes) over SHA-256(message): what CryptoLib.verifyWithECDsa checks. */
  sign(message: Uint8Array): Buffer;
}

export class IdentityError extends Error {}

/** Loads <dataDir>/router.key, making it on first start. */
export function loadOrCreateIdentity(dataDir: string): RouterIdentity {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE);
  let pem: string;
  try {
    pem = readKeyFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    createKeyFile(path);
    pem = readKeyFile(path);
  }
  return identityFromKey(createPrivateKey(pem));
}

export function identityFromKey(key: KeyObject): RouterIdentity {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new IdentityError('router key is not a P-256 (secp256r1) key');
  }
  const publicKey = compressedPublicKey(key);
  const scriptHash = scriptHashOf(publicKey);
  return {
    publicKey,
    scriptHash,
    address: addressOf(scriptHash),
    sign: (message) => sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }),
  };
}

function compressedPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([Buffer.of(y[y.length - 1]! & 1 ? 0x03 : 0x02), x]).toString('hex');
}

/** Refuses a key others could read or that another user owns: it is the hotspot owner's income. */
function readKeyFile(path: string): string {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) throw new IdentityError(`${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  if (process.getuid && st.uid !== process.getuid()) throw new IdentityError(`${path} belongs to uid ${st.uid}, not to this process`);
  return readFileSync(path, 'utf8');
}

/** Written to a private temporary file, synced, then linked into place, so a power cut leaves a whole key or none. */
function createKeyFile(path: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // fails if another process won the race; its key is the one to keep
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}
