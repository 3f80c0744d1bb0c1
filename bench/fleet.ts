/**
 * Fleet load: N simulated routers, each its own MQTT client speaking the
 * agent's protocol with real P-256 signatures, against one gateway process
 * (SQLite) and then two (PostgreSQL, one shared subscription). The routers
 * are registered on a real private neo-go chain first, so the gateways'
 * registry looks each one up on chain as in production.
 *   scripts/bench-fleet [--routers 300] [--interval 2] [--records 20] [--seconds 30] [--stores sqlite,postgres] [--quick]
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { account, QlinkClient } from '../chain/src/index.js';
import { openPgStore } from '../gateway/src/store/postgres.js';
import { openSqliteStore } from '../gateway/src/store/sqlite.js';
import { startChain } from '../scripts/lib/chain.js';
import { createDatabase, startPostgres } from '../test/helpers/postgres.js';
import { registerFleet } from './fleet-chain.js';
import { runPhase, type PhaseSetup } from './fleet-phase.js';
import { errorCount, printPhase, tableHead, tableRow, type PhaseResult } from './fleet-report.js';

const USAGE =
  'usage: scripts/bench-fleet [--routers N] [--interval SECONDS] [--records N] [--seconds N] [--window N] ' +
  '[--drain SECONDS] [--gateways N] [--stores sqlite,postgres] [--broker-nagle] [--pg-no-fsync] [--quick]';

const argsSchema = z
  .object({
    routers: z.coerce.number().int().min(1).max(5_000),
    interval: z.coerce.number().min(0.01).max(3_600),
    records: z.coerce.number().int().min(1).max(10_000),
    seconds: z.coerce.number().min(1).max(3_600),
    window: z.coerce.number().int().min(1).max(1_000),
    drain: z.coerce.number().min(1).max(600),
    gateways: z.coerce.number().int().min(1).max(8),
    stores: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(z.enum(['sqlite', 'postgres'])).min(1)),
  })
  .strict();

function args(argv: string[]): z.infer<typeof argsSchema> & { brokerNagle: boolean; pgNoFsync: boolean } {
  const str = { type: 'string' } as const;
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        routers: str,
        interval: str,
        records: str,
        seconds: str,
        window: str,
        drain: str,
        gateways: str,
        stores: str,
        quick: { type: 'boolean' },
        'broker-nagle': { type: 'boolean' },
        'pg-no-fsync': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    console.error(`bench-fleet: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { quick, help: _, 'broker-nagle': nagle, 'pg-no-fsync': noFsync, ...given } = values;
  const defaults = quick
    ? { routers: '20', interval: '0.5', records: '5', seconds: '5', window: '64', drain: '15', gateways: '2', stores: 'sqlite,postgres' }
    : { routers: '300', interval: '2', records: '20', seconds: '30', window: '64', drain: '30', gateways: '2', stores: 'sqlite,postgres' };
  const r = argsSchema.safeParse({ ...defaults, ...given });
  if (!r.success) {
    console.error(`bench-fleet: ${r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
    process.exit(2);
  }
  return { ...r.data, brokerNagle: Boolean(nagle), pgNoFsync: Boolean(noFsync) };
}

const a = args(process.argv.slice(2));
const log = (s: string) => console.log(s);
log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, node ${process.version}; ` + 'the load generator, broker, chain and PostgreSQL share these cores with the gateways',
);
log(
  `fleet: ${a.routers} routers, each a batch of ${a.records} records every ${a.interval} s ` +
    `(${(a.routers / a.interval).toFixed(1)} batches/s offered; at the agent's default of a batch a minute that is ${Math.round((a.routers / a.interval) * 60).toLocaleString('en-US')} routers), ` +
    `${a.seconds} s measured, window ${a.window}; mosquitto over TLS (a fleet-CA certificate per router and per gateway, the production ACL) ${a.brokerNagle ? 'with its defaults (Nagle on)' : 'with set_tcp_nodelay true'}`,
);

const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-fleet-'));
chmodSync(dir, 0o711); // mosquitto, started as root, writes its log as its own user
const results: PhaseResult[] = [];
const removeDir = () => rmSync(dir, { recursive: true, force: true });
process.once('exit', removeDir);
const chain = await startChain({ dir: join(dir, 'chain-home') });
try {
  const state = chain.state;
  const chainConfig = { rpc: state.rpc, networkMagic: state.networkMagic, contract: state.contract.toLowerCase() };
  const reg = await registerFleet(new QlinkClient(chainConfig), account(state.wallets.owner!.wif), a.routers);
  log(`chain: ${a.routers} routers registered on chain in ${reg.transactions} transactions (${reg.gas.toFixed(2)} GAS, ${(reg.ms / 1000).toFixed(1)} s)`);
  const base = {
    chain: chainConfig,
    chainPid: Number(readFileSync(join(chain.dir, 'chain/node.pid'), 'utf8')),
    routers: reg.routers,
    deployment: { networkMagic: state.networkMagic, contract: chainConfig.contract },
    window: a.window,
    brokerNagle: a.brokerNagle,
    load: { intervalMs: a.interval * 1000, records: a.records, seconds: a.seconds, drainMs: a.drain * 1000 },
  };
  const phase = async (p: Omit<PhaseSetup, keyof typeof base>) => {
    const r = await runPhase({ ...base, ...p }, log);
    printPhase(r, log);
    results.push(r);
  };
  if (a.stores.includes('sqlite')) {
    const path = join(dir, 'sqlite', 'gateway.db');
    await phase({
      name: '1 gateway, SQLite',
      dir: join(dir, 'sqlite'),
      gateways: 1,
      store: { sqlite: path },
      openStore: () => openSqliteStore(path),
      postgresPid: null,
    });
  }
  if (a.stores.includes('postgres')) {
    const pg = await startPostgres({ fsync: !a.pgNoFsync });
    const postmaster = Number(readFileSync(join(pg.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Ctrl-C ends the bench through the chain's signal handler (process.exit): no finally runs then.
    const onExit = () => {
      try {
        process.kill(postmaster, 'SIGQUIT');
      } catch {
        /* gone */
      }
      rmSync(pg.dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    try {
      const url = await createDatabase(pg, 'gateway');
      await phase({
        name: `${a.gateways} gateways, PostgreSQL${a.pgNoFsync ? ' (fsync off)' : ''}`,
        dir: join(dir, 'postgres'),
        gateways: a.gateways,
        store: { postgres: url },
        openStore: () => openPgStore(url),
        postgresPid: postmaster,
      });
    } finally {
      await pg.stop();
      process.off('exit', onExit);
    }
  }
} finally {
  await chain.stop();
  const errors = results.reduce((k, r) => k + errorCount(r), 0);
  // A failed run keeps the gateways' configs, logs and SQLite file to look at; the chain's data goes either way.
  process.off('exit', removeDir);
  rmSync(errors || results.length < a.stores.length ? join(dir, 'chain-home') : dir, { recursive: true, force: true });
  if (errors || results.length < a.stores.length) log(`gateway logs kept in ${dir}`);
}

log(`\n${a.routers} routers, a batch of ${a.records} records every ${a.interval} s each, ${a.seconds} s:\n${tableHead}`);
for (const r of results) log(tableRow(r));
const errors = results.reduce((k, r) => k + errorCount(r), 0);
log(errors ? `${errors} errors` : 'no errors: every batch acked and stored exactly once');
process.exitCode = errors ? 1 : 0;
