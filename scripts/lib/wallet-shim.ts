/**
 * A test-only JSON-RPC shim between a wallet and a private neo-go node, for
 * the wallet tests and scripts/verify-wallet; never on a router or gateway.
 *
 *   node dist/scripts/lib/wallet-shim.js --listen 203.0.113.20:40340 --upstream http://203.0.113.20:40332 [--log FILE]
 *
 * NeoLine signs the copy of a transaction it asks `calculatenetworkfee` about
 * with a fixed dummy key (NeoNEXT/neoline extension/background/neo3-tx.ts,
 * src/app/popup/transfer/neo3-invoke.service.ts calculateNetworkFee). The C#
 * node prices the witness by its verification script and does not check it
 * against the signer; neo-go does and answers -508 ("witness hash
 * mismatch"), so against neo-go NeoLine's invoke fails. For each signer whose
 * witness is the dummy key's, the shim puts the dummy key's account in the
 * signer's place in that one call (same size, same verification cost), so
 * neo-go answers the fee the C# node would. It also answers CORS preflights
 * (the wallet test double fetches from a page; NeoLine itself needs none) and
 * logs each method, so a test can say what the wallet asked the node.
 */
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { tx, u, wallet } from '@cityofzion/neon-js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** NeoLine's fee-estimate key (public in its source, NL extension/background/neo3-tx.ts:37). */
export const NEOLINE_DUMMY_WIF = 'KyEUreM7QVQvzUMeGSBTKVtQahKumHyWG6Dj331Vqg5ZWJ8EoaC1';
const dummy = new wallet.Account(NEOLINE_DUMMY_WIF);
const dummyVerification = wallet.getVerificationScriptFromPublicKey(dummy.publicKey);

/** The fee-estimate transaction with the dummy key's account standing in for the signer it signed for; the number of signers changed. */
export function rewriteFeeEstimate(b64: string): { b64: string; changed: number } {
  const t = tx.Transaction.deserialize(Buffer.from(b64, 'base64').toString('hex'));
  let changed = 0;
  const used = new Set(t.signers.map((s) => s.account.toBigEndian()));
  t.witnesses.forEach((w, i) => {
    const s = t.signers[i];
    if (!s || w.verificationScript.toBigEndian() !== dummyVerification) return;
    if (s.account.toBigEndian() === dummy.scriptHash || used.has(dummy.scriptHash)) return;
    s.account = u.HexString.fromHex(dummy.scriptHash);
    used.add(dummy.scriptHash);
    changed++;
  });
  return { b64: changed ? Buffer.from(t.serialize(true), 'hex').toString('base64') : b64, changed };
}

export function startShim(o: { host: string; port: number; upstream: string; log?: string }): Promise<Server> {
  const note = (entry: object) => {
    if (o.log) appendFileSync(o.log, JSON.stringify({ t: new Date().toISOString(), ...entry }) + '\n');
  };
  const server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST, GET, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
    };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on(
      'end',
      () =>
        void (async () => {
          let out: string;
          try {
            const parsed = JSON.parse(body || '{}') as unknown;
            const batch = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ method?: string; params?: unknown[] }>;
            for (const r of batch) {
              const entry: Record<string, unknown> = { method: r.method, origin: req.headers.origin ?? null };
              if (r.method === 'calculatenetworkfee' && typeof r.params?.[0] === 'string') {
                const { b64, changed } = rewriteFeeEstimate(r.params[0]);
                r.params[0] = b64;
                entry.dummySignersRewritten = changed;
              }
              note(entry);
            }
            const up = await fetch(o.upstream, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(Array.isArray(parsed) ? batch : batch[0]),
            });
            out = await up.text();
          } catch (e) {
            note({ error: (e as Error).message });
            out = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: `shim: ${(e as Error).message}` } });
          }
          res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(out);
        })(),
    );
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok(server));
  });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, upstream: { type: 'string' }, log: { type: 'string' } } });
  const [host = '127.0.0.1', port = '40340'] = (values.listen ?? '').split(':');
  startShim({ host, port: Number(port), upstream: values.upstream ?? 'http://127.0.0.1:40332', ...(values.log ? { log: values.log } : {}) })
    .then(() => console.log(JSON.stringify({ listening: `${host}:${port}`, upstream: values.upstream })))
    .catch((e: Error) => {
      console.error(`wallet-shim: ${e.message}`);
      process.exit(1);
    });
}
