import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RPC_IP, type System } from '../system/index.js';
import * as tb from '../testbed/index.js';
import { REPO_ROOT } from '../testbed/paths.js';
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
 * gateway is started once more against a chain proxy (scripts/lib/chain-proxy.ts)
 * that relays its transaction and then answers no application log for it, so
 * the gateway has it recorded as pending, sent, and not confirmed; that
 * process is killed, and a plain one started on the direct RPC.
 */
export async function killGatewayInSettlement(sys: System, timeoutMs = 120_000): Promise<{ txid: string }> {
  const confFile = join(sys.dir, 'gateway.json');
  const conf = readFileSync(confFile, 'utf8');
  const proxy = tb.spawn(
    sys.id,
    'upstream',
    ['node', 'dist/scripts/lib/chain-proxy.js', '--listen', `${RPC_IP}:${RPC_PORT + 2}`, '--to', `http://${RPC_IP}:${RPC_PORT}`, '--hold-after-relay'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const events = createInterface({ input: proxy.stdout! });
    const held = new Promise<string>((resolve, reject) => {
      events.on('line', (l) => {
        const e = JSON.parse(l) as { event: string; txid?: string };
        if (e.event === 'holding') resolve(e.txid!);
      });
      proxy.once('exit', (code) => reject(new Error(`chain proxy exited (${code})`)));
    });
    await sys.gateway.stop('SIGKILL');
    const c = JSON.parse(conf) as { chain: { rpc: string } };
    writeFileSync(confFile, JSON.stringify({ ...c, chain: { ...c.chain, rpc: `http://${RPC_IP}:${RPC_PORT + 2}` } }));
    await sys.gateway.start();
    const txid = await Promise.race([
      held,
      sleep(timeoutMs).then(() => {
        throw new Error('no settlement transaction relayed through the proxy');
      }),
    ]);
    await sys.gateway.stop('SIGKILL');
    return { txid };
  } finally {
    writeFileSync(confFile, conf);
    proxy.kill('SIGTERM');
    await sys.gateway.start();
  }
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
export async function flushFirewall(_sys: System, counters: KernelCounters): Promise<{ at: number; rebuiltMs: number }> {
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
