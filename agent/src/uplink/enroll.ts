import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Deployment, enrollMessage, type EnrollReply } from '../../../protocol/src/index.js';
import { certifies } from '../../../protocol/src/node/index.js';
import type { RouterIdentity } from '../identity/router-key.js';
import type { Logger } from '../log.js';
import type { UplinkConfig } from './link.js';

/** Renew a month ahead: a router that is offline for weeks still comes back with a valid certificate. */
const RENEW_MS = 30 * 86_400_000;
/**
 * openssl stamps notBefore with the issuing second, so a certificate issued
 * just after a second began can start after the moment the router sent its
 * request; a router whose clock is a little behind the gateway's sees the same.
 */
const ISSUER_SKEW_MS = 5 * 60_000;

export const certPath = (c: UplinkConfig, dataDir: string): string => c.certFile ?? join(dataDir, 'uplink.crt');

/**
 * The router's broker certificate: kept in dataDir, asked for at
 * uplink.enrollUrl (the gateway's POST /enroll) when it is missing, is not
 * for this router's key, or ends within a month. The reply is taken only if
 * it certifies this key under the CA the router already pins
 * (uplink.caFile), so the enrollment needs no trust of its own.
 * Returns true when a new certificate was written.
 */
export async function ensureCertificate(
  c: UplinkConfig,
  identity: RouterIdentity,
  d: Deployment,
  dataDir: string,
  log: Logger,
  clock: () => number = Date.now,
  fetchFn: typeof fetch = fetch,
): Promise<boolean> {
  if (!c.enrollUrl || !c.caFile) return false;
  const ca = readFileSync(c.caFile, 'utf8');
  const path = certPath(c, dataDir);
  const now = clock();
  if (existsSync(path) && certifies(readFileSync(path, 'utf8'), ca, identity.publicKey, now, RENEW_MS, ISSUER_SKEW_MS)) return false;
  const at = now;
  const body = { router: identity.publicKey, at, signature: identity.sign(enrollMessage(d, identity.publicKey, at)).toString('hex') };
  const res = await fetchFn(c.enrollUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const reply = (await res.json().catch(() => ({}))) as Partial<EnrollReply> & { error?: string };
  if (!res.ok) throw new Error(`enrollment refused (HTTP ${res.status}): ${reply.error ?? 'no reason given'}`);
  if (typeof reply.cert !== 'string' || !certifies(reply.cert, ca, identity.publicKey, clock(), 0, ISSUER_SKEW_MS)) {
    throw new Error("enrollment answer does not certify this router's key under the pinned CA (uplink.caFile)");
  }
  writeFileSync(`${path}.tmp`, reply.cert, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
  log.info({ path }, 'broker certificate enrolled');
  return true;
}
