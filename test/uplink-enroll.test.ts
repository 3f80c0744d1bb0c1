import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { ensureCertificate } from '../agent/src/uplink/enroll.js';
import { initFleetCa, openFleetCa } from '../gateway/src/ca/fleet-ca.js';
import { newKeyPair } from '../protocol/src/node/index.js';

// The router's enrollment against a real fleet CA (openssl), its answer
// delivered by a fetch that plays the gateway's POST /enroll.
const dir = mkdtempSync(join(tmpdir(), 'qlink-enroll-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
await initFleetCa(join(dir, 'ca'));
const ca = openFleetCa(join(dir, 'ca'));
writeFileSync(join(dir, 'ca.crt'), ca.caPem);
const deployment = { networkMagic: 5195086, contract: '0x' + '11'.repeat(20) };
const log = pino({ level: 'silent' });
const uplink = { url: 'mqtts://gateway:8883', caFile: join(dir, 'ca.crt'), enrollUrl: 'http://gateway/enroll' } as Parameters<typeof ensureCertificate>[0];

/** The gateway: certifies `forKey` (the caller's key unless told otherwise). */
const gateway = (forKey?: string): typeof fetch =>
  (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as { router: string };
    const cert = await ca.issueRouter(forKey ?? body.router, 'N-router');
    return new Response(JSON.stringify({ cert, ca: ca.caPem }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;

t.test("a router whose clock is behind the CA's takes the certificate (openssl stamps notBefore with its own second)", async (t) => {
  const data = mkdtempSync(join(dir, 'a-'));
  const id = identityFromKey(newKeyPair().privateKey);
  const behind = () => Date.now() - 120_000;
  t.equal(await ensureCertificate(uplink, id, deployment, data, log, behind, gateway()), true, 'enrolled');
  t.ok(existsSync(join(data, 'uplink.crt')));
  t.equal(await ensureCertificate(uplink, id, deployment, data, log, behind, gateway()), false, 'the stored certificate is kept on the next start');
});

t.test('a certificate that starts further ahead than the allowed skew, or is for another key, is refused and nothing is written', async (t) => {
  const data = mkdtempSync(join(dir, 'b-'));
  const id = identityFromKey(newKeyPair().privateKey);
  await t.rejects(
    ensureCertificate(uplink, id, deployment, data, log, () => Date.now() - 3_600_000, gateway()),
    /does not certify/,
  );
  const other = identityFromKey(newKeyPair().privateKey);
  await t.rejects(ensureCertificate(uplink, id, deployment, data, log, Date.now, gateway(other.publicKey)), /does not certify/);
  t.notOk(existsSync(join(data, 'uplink.crt')));
  t.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), ca.caPem, 'the pinned CA is untouched');
});
