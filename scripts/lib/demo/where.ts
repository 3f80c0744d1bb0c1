import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { System } from '../system/index.js';
import { REPO_ROOT } from '../testbed/paths.js';

/** The logs, copied out of the system's directories (which go with it) into demo-output/<testbed>/. */
export function keepLogs(s: System): string {
  const out = join(REPO_ROOT, 'demo-output', s.bed.router.ns.replace(/^ql-|-router$/g, ''));
  mkdirSync(out, { recursive: true });
  const files: Array<[string, string]> = [
    [join(s.dir, 'gateway.log'), 'gateway.log'],
    [join(s.dir, 'mosquitto.log'), 'mosquitto.log'],
    [s.bed.agent?.log ?? join(s.bed.stateDir, 'agent.log'), 'agent.log'],
  ];
  for (const [from, to] of files) if (existsSync(from)) copyFileSync(from, join(out, to));
  return relative(process.cwd(), out) || '.';
}

/** The owner's page at the gateway, for the router's owner. */
export function ownerPageUrl(s: System): string {
  return `${s.hostApiUrl ?? s.apiUrl}/owner?owner=${s.chain.wallets.owner!.address}`;
}

export function whereToLook(s: System, o: { keep: boolean; logs: string }): string {
  const api = s.hostApiUrl ?? s.apiUrl;
  const prefix = process.env.QLINK_TESTBED_PREFIX ? `QLINK_TESTBED_PREFIX=${process.env.QLINK_TESTBED_PREFIX} ` : '';
  const lines = [
    `the owner's page   ${ownerPageUrl(s)}`,
    `                   (log in as the owner: scripts/qlink-gateway owner-login --url ${api} --wif-file <the owner's WIF>, then paste the token at ${api}/login)`,
    `the gateway's API  ${['routers', 'sessions', 'usage/daily', 'earnings', 'transactions'].map((p) => `${api}/${p}`).join('\n                   ')}`,
    `                   (the operator's token: curl -H 'authorization: Bearer ${s.apiToken}' …)`,
    `the router         ${prefix}QLINK_TESTBED_ID=${s.id} scripts/testbed exec router -- scripts/qlink clients`,
    `the logs           ${o.logs}/ (gateway.log, agent.log, mosquitto.log)`,
  ];
  if (!o.keep) lines.push('', 'everything is torn down when the demo ends: ./scripts/demo --keep keeps it up until Ctrl-C');
  return lines.join('\n');
}
