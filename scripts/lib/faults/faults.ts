import { readFileSync, statSync } from 'node:fs';
import { PAUSE_AFTER_RELAY_ENV } from '../../../gateway/src/settle/service.js';
import { RPC_IP, type System } from '../system/index.js';
import * as tb from '../testbed/index.js';
import { sleep, waitFor } from '../testbed/proc.js';
import type { KernelCounters } from './counters.js';

/** The chain's RPC port, closed to everyone by a rule in the upstream namespace while the node itself runs on. */
const RPC_PORT = 40332;
const OUTAGE_TABLE = 'qlink_faults';

/** kill -9 of the agent and a start again with the config it had; how long it was gone. */
export async function killAgent(sys: System): Promise<number> {
  const t = Date.now();
  await tb.agentKill(sys.id);
  await tb.agentStart(sys.id);
  return Date.now() - t;
}

/**
 * kill -9 of the gateway while a settlement transaction is in flight: the
 * gateway is started once more with the settler's test hook, which stops it
 * for good right after it relayed a transaction (recorded as pending, sent,
 * no application log yet); that process is killed, and a plain one started.
 */
export async function killGatewayInSettlement(sys: System, timeoutMs = 120_000): Promise<{ txid: string }> {
  await sys.gateway.stop('SIGKILL');
  const from = statSync(sys.gateway.logFile).size;
  await sys.gateway.start({ [PAUSE_AFTER_RELAY_ENV]: '1' });
  const txid = await waitFor('the gateway to relay a settlement transaction', timeoutMs, () => {
    const line = readFileSync(sys.gateway.logFile, 'utf8').slice(from).split('\n').find((l) => l.includes('test hook: paused after relay'));
    return line ? String((JSON.parse(line) as { txid: string }).txid) : undefined;
  }, 200);
  await sys.gateway.stop('SIGKILL');
  await sys.gateway.start();
  return { txid };
}

/**
 * The chain's RPC gone for everyone (the gateway, the agent, the phones):
 * a drop rule for its port in the upstream namespace. The node keeps making
 * blocks, so the chain's clock, which channel expiry is measured by, runs on.
 */
export async function chainRpcDown(sys: System): Promise<void> {
  const rules = `table inet ${OUTAGE_TABLE} {\n chain input {\n  type filter hook input priority -200; policy accept;\n  ip daddr ${RPC_IP} tcp dport ${RPC_PORT} drop\n }\n}\n`;
  const r = await tb.exec(sys.id, 'upstream', ['nft', '-f', '-'], { input: rules });
  if (r.code !== 0) throw new Error(`closing the RPC port: ${r.stderr}`);
}

export async function chainRpcUp(sys: System): Promise<void> {
  const r = await tb.exec(sys.id, 'upstream', ['nft', 'delete', 'table', 'inet', OUTAGE_TABLE]);
  if (r.code !== 0) throw new Error(`opening the RPC port: ${r.stderr}`);
}

/** `nft flush ruleset` in the router, and how long until the agent's gate was back. */
export async function flushFirewall(sys: System, counters: KernelCounters): Promise<{ at: number; rebuiltMs: number }> {
  const at = await counters.flushRuleset();
  await waitFor('the agent to rebuild its gate', 30_000, async () => ((await counters.sample()) ? true : undefined), 50);
  return { at, rebuiltMs: Date.now() - at };
}

/**
 * A power cut of the router as far as processes go: every process in its
 * namespace killed at once (the agent, dnsmasq, the stand-ins), a few
 * seconds dark, then the daemons and the agent started as at boot. The
 * kernel (its nft table, counters and queues) lives on: these namespaces
 * share the host's kernel, so the cut cannot take it.
 */
export async function powerCut(sys: System, counters: KernelCounters, darkMs = 3_000): Promise<{ killed: string[]; backMs: number }> {
  await counters.pause();
  try {
    const t = Date.now();
    const killed = await tb.killHost(sys.id, 'router');
    await sleep(darkMs);
    await tb.routerDaemonsStart(sys.id);
    await tb.agentStart(sys.id);
    return { killed, backMs: Date.now() - t };
  } finally {
    counters.resume();
  }
}
