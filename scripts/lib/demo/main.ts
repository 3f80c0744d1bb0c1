/**
 * ./scripts/demo: the whole system playing one day at a café, in network
 * namespaces on this machine, told step by step. Ctrl-C at any point tears
 * everything down (exit 130); --keep leaves it up at the end until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { QlinkClient } from '../../../chain/src/client.js';
import { FetchJsonRpc } from '../../../chain/src/json-rpc.js';
import { verifyProof } from '../../../chain/src/verify-proof.js';
import { upSystem, type System } from '../system/index.js';
import * as tb from '../testbed/index.js';
import { Day, qlink, type Guest } from './day.js';
import { GatewayView } from './gateway.js';
import { Narrator } from './narrator.js';
import { accounts } from './report.js';
import { SettlementWatch } from './settlement.js';
import { keepLogs, ownerPageUrl, whereToLook } from './where.js';
import { gas, short } from './format.js';
import { channels, routerVouchers, snapshot } from './ledger.js';

const GUESTS: Guest[] = [
  // A small deposit (about 12 MB at the plan's price) so it runs out mid-download; the top up buys 20 MB more.
  { name: 'c1', wallet: 'guest1', plan: 'mb', deposit: 120_000n, topup: 200_000n },
  { name: 'c2', wallet: 'guest2', plan: 'hour' },
  { name: 'c3', wallet: 'guest3', plan: 'mb' },
];
const IDLE_SECONDS = 30;

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false }, id: { type: 'string', default: 'demo' } } });
const opts = z.object({ keep: z.boolean(), id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_]{0,23}$/, 'use 1-24 of [A-Za-z0-9_]') }).parse(values);
const n = new Narrator();
let starting: Promise<System> | undefined;
let sys: System | undefined;
let stopping = false;

async function play(): Promise<boolean> {
  n.heading('Setting up: a chain, a gateway with its broker, and a router in a café');
  starting = upSystem({
    id: opts.id,
    clients: GUESTS.length,
    hostLink: true,
    closeAtLogout: true,
    say: (l) => {
      n.say(l);
      n.progress(l.split(':')[0]!);
    },
    agent: { idleTimeoutSeconds: IDLE_SECONDS },
    settlement: { intervalMs: 10_000, roundIntervalMs: 10_000 },
  });
  const s = (sys = await starting);
  n.progress(null);
  const chain = new QlinkClient({ rpc: s.hostRpcUrl!, networkMagic: s.chain.networkMagic, contract: s.chain.contract });
  const gateway = new GatewayView(s.hostApiUrl!, s.apiToken);
  const address = (w: string) => s.chain.wallets[w]!.address;
  const before = await snapshot(chain, ['owner', ...GUESTS.map((g) => g.wallet)].map(address));
  n.say(
    `the owner's wallet ${address('owner')} holds ${gas(before.gas.get(address('owner'))!)}; each guest's wallet ${gas(before.gas.get(address('guest1'))!)}`,
  );
  const watch = new SettlementWatch(gateway, chain, n);
  watch.start();

  n.heading("Guests arrive, pay and browse, each at its plan's rate");
  const portal = await tb.exec(s.id, 'c1', ['curl', '-4', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', 'http://example.com/']);
  n.say(`before paying, c1's browser asks for http://example.com/ and is sent to the portal: ${portal.stdout.trim() || portal.stderr.trim()}`);
  const day = new Day(s, n, GUESTS);
  n.progress('paying and browsing');
  day.join();
  const everyone = day.online().then(async () => {
    const clients = await qlinkClients(s);
    n.say("all three are online; the router's guests now (qlink clients):");
    n.block(clients);
  });
  const [, , c3Left] = await Promise.all([day.c1RunsOutAndTopsUp('c1'), day.c2BrowsesAndLogsOut('c2'), day.c3WalksAway('c3'), everyone]);
  n.progress(null);
  const t = await gateway.totals();
  n.say(`the gateway has stored ${t.batches} signed usage batches (${t.records} records) from the router so far`);

  n.heading('The guest who walked away');
  await n.until(
    "waiting for the router to end c3's session on the idle timeout",
    120_000,
    async (status) => {
      status(`${Math.round((Date.now() - c3Left) / 1000)} s since its last byte, ends after ${IDLE_SECONDS} s`);
      return (await day.isHeld('c3')) || undefined;
    },
    2_000,
  );
  n.say('c3 is held again: its next visit starts at the portal');
  await day.leaveAll();

  n.heading("Settlement: the gateway redeems the newest vouchers and anchors each round's batches on chain under one root");
  const ids = GUESTS.map((g) => day.channelOf(g.name));
  const dataDir = s.bed.agent!.dataDir;
  await n.until(
    "waiting for settlement to pay every channel's newest voucher",
    180_000,
    async (status) => {
      const held = routerVouchers(dataDir);
      const onChain = await channels(chain, ids);
      const paid = ids.filter((id) => (held.get(id) ?? 0n) > 0n && onChain.get(id)!.redeemed === held.get(id));
      const tt = await gateway.totals();
      status(`${paid.length} of ${ids.length} channels paid; the gateway holds ${tt.batches} batches, ${tt.records} records`);
      // Done when the chain says so and the gateway has booked it, so the transactions are told before the accounts.
      if (paid.length < ids.length || tt.pendingTxs > 0) return undefined;
      await watch.poll();
      return true;
    },
    2_000,
  );
  watch.stop();
  await proveNewestBatch(s, gateway, chain);

  n.heading("The day's accounts, read from the chain");
  const ok = await accounts(n, { sys: s, chain, gateway, before, guests: GUESTS, channelIds: ids });

  n.heading('Where to look');
  const page = await gateway.page(ownerPageUrl(s));
  n.say(
    `the owner's page at the gateway answers HTTP ${page.status} (${(page.bytes / 1024).toFixed(1)} KB): the same day, as charts and settlement transactions`,
  );
  const logs = keepLogs(s);
  n.block(whereToLook(s, { keep: opts.keep, logs }));
  if (opts.keep) {
    n.say('the system stays up until Ctrl-C');
    // A timer keeps the process here until the signal handler tears down and exits.
    await new Promise(() => setInterval(() => undefined, 60_000));
  }
  return ok;
}

/** The router's newest batch in an anchored round: its proof from the gateway, checked against the chain as anyone can (qlink-gateway verify). */
async function proveNewestBatch(s: System, gateway: GatewayView, chain: QlinkClient): Promise<void> {
  const router = s.chain.wallets.router1!.address;
  const stored = (await gateway.totals()).batches;
  for (let seq = stored; seq >= 1; seq--) {
    const p = await gateway.proof(router, seq);
    if ('missing' in p) continue;
    const r = await verifyProof(new FetchJsonRpc(chain.config.rpc), p.proof, { anchorer: s.chain.wallets.gateway!.address });
    const x = r.proof;
    n.say(
      `batch ${seq} (of ${stored}): the gateway's inclusion proof, checked against the chain: ${r.ok ? '✓' : '✗'} ` +
        `${x ? `leaf ${x.index} of ${x.size} in round ${x.round}, anchored by the gateway in ${short(x.txid)}` : ''}${
          r.ok
            ? ''
            : `: ${r.steps
                .filter((y) => !y.ok)
                .map((y) => y.what)
                .join('; ')}`
        }`,
    );
    return;
  }
  n.say(`no batch of the router is in an anchored round yet (${stored} stored): the next round takes them`);
}

async function qlinkClients(s: System): Promise<string> {
  const r = await qlink(s, ['clients']);
  return r.code === 0 ? r.stdout : r.stderr;
}

/** Ctrl-C or SIGTERM: down with everything, whatever was going on; a second one stops waiting for that. */
async function interrupted(): Promise<void> {
  if (stopping) {
    await tb.down(opts.id).catch(() => undefined);
    process.exit(130);
  }
  stopping = true;
  n.progress(null);
  n.say('interrupted: tearing everything down');
  if (sys) await sys.down();
  else {
    // upSystem is half way: removing the namespaces makes its next step fail, and it cleans up after itself.
    await tb.down(opts.id).catch(() => undefined);
    await Promise.race([starting?.catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
  }
  process.exit(130);
}

process.on('SIGINT', () => void interrupted());
process.on('SIGTERM', () => void interrupted());

play().then(
  async (ok) => {
    if (stopping) return;
    stopping = true;
    n.heading('Done: tearing everything down');
    await sys?.down();
    process.exit(ok ? 0 : 1);
  },
  async (e: unknown) => {
    if (stopping) return;
    stopping = true;
    n.progress(null);
    n.say(`the demo failed: ${(e as Error).message}`);
    if (sys) n.say(`logs kept in ${keepLogs(sys)}/`);
    n.say('tearing everything down');
    await sys?.down();
    process.exit(1);
  },
);
