import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FetchJsonRpc } from '../../chain/src/json-rpc.js';
import { verifyProof } from '../../chain/src/verify-proof.js';
import { loadGatewayConfig } from './config.js';

export const VERIFY_USAGE =
  'usage: qlink-gateway verify --proof FILE|URL [--batch FILE] [--rpc URL | --config gateway.json] [--anchorer ADDR] [--contract 0x…]';

async function load(where: string, what: string): Promise<unknown> {
  try {
    if (/^https?:\/\//.test(where)) {
      const res = await fetch(where, { signal: AbortSignal.timeout(15_000) });
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${body.slice(0, 300)}`);
      return JSON.parse(body);
    }
    return JSON.parse(readFileSync(where, 'utf8'));
  } catch (e) {
    throw new Error(`${what} ${where}: ${(e as Error).message}`);
  }
}

/**
 * `qlink-gateway verify`: checks a batch's inclusion proof against the
 * chain with standard JSON-RPC only, prints each check, and returns the
 * exit code: 0 when every check held, 1 when one failed, 2 for bad usage.
 */
export async function verifyCommand(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        proof: { type: 'string' },
        batch: { type: 'string' },
        rpc: { type: 'string' },
        config: { type: 'string' },
        anchorer: { type: 'string' },
        contract: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    out(`${(e as Error).message}\n${VERIFY_USAGE}`);
    return 2;
  }
  const rpc = values.rpc ?? (values.config ? loadGatewayConfig(values.config).chain.rpc : undefined);
  if (values.help || !values.proof || !rpc) {
    out(VERIFY_USAGE);
    return values.help ? 0 : 2;
  }
  let proof: unknown;
  let batch: unknown;
  try {
    proof = await load(values.proof, 'proof');
    if (values.batch) batch = await load(values.batch, 'batch');
  } catch (e) {
    out(`✗ ${(e as Error).message}`);
    return 1;
  }
  const r = await verifyProof(new FetchJsonRpc(rpc), proof, {
    ...(batch !== undefined ? { batch } : {}),
    ...(values.anchorer ? { anchorer: values.anchorer } : {}),
    ...(values.contract ? { contract: values.contract } : {}),
  });
  for (const s of r.steps) out(`${s.ok ? '✓' : '✗'} ${s.what}: ${s.detail}`);
  if (r.ok && !values.anchorer) out('note: the anchorer was not pinned (--anchorer): the proof shows who anchored it, not that you trust them');
  out(
    r.ok
      ? `proof holds: batch ${r.proof!.seq} of ${r.proof!.router} is in round ${r.proof!.round}, anchored on chain by ${r.proof!.anchorer}`
      : 'PROOF REFUSED',
  );
  return r.ok ? 0 : 1;
}
