import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import t from 'tap';
import { startChain } from '../scripts/lib/chain.js';
import { account, FetchJsonRpc, QlinkClient } from '../chain/src/index.js';
import { decodePlanTerms } from '../protocol/src/index.js';

// `qlink-gateway plans publish|list` on a real neo-go chain: an owner
// publishes plans from a JSON file and from a UCI file (the router's own plan
// sections), changes one (its version goes up, the old version stays on
// chain), lists them with versions; a plan file that does not parse, and a key
// that is not the owner's, are refused. Prints the GAS each transaction cost
// (system + network fee, as the chain has them): the README's figures.
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const dir = mkdtempSync(join(tmpdir(), 'qlink-plans-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const owner = account(state.wallets.owner!.wif);
const wifFile = join(dir, 'owner.wif');
writeFileSync(wifFile, state.wallets.owner!.wif + '\n', { mode: 0o600 });
const chainArgs = ['--rpc', state.rpc, '--magic', String(state.networkMagic), '--contract', state.contract];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['dist/gateway/src/main.js', 'plans', ...args], { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** What the chain charged for a transaction: its system and network fee. */
async function feeOf(txid: string): Promise<{ system: bigint; network: bigint; total: bigint }> {
  const tx = await new FetchJsonRpc(state.rpc).call<{ sysfee: string; netfee: string }>('getrawtransaction', [txid, true]);
  return { system: BigInt(tx.sysfee), network: BigInt(tx.netfee), total: BigInt(tx.sysfee) + BigInt(tx.netfee) };
}
const gas = (units: bigint) => (Number(units) / 1e8).toFixed(6);

t.test('publish from JSON, change one, list with versions; each fee read from the chain', async (t) => {
  const file = join(dir, 'plans.json');
  writeFileSync(
    file,
    JSON.stringify({
      plans: [
        { id: 1, name: 'Pay per MB', pricePerMB: '0.0001' },
        {
          id: 2,
          name: 'Hour',
          pricePerMinute: '0.001',
          downKbps: 10000,
          upKbps: 2000,
          timeCapSeconds: 3600,
          zeroRated: ['chat.example.net', '198.51.100.0/24'],
        },
      ],
    }),
  );
  const first = await cli(['publish', '--file', file, '--wif-file', wifFile, '--json', ...chainArgs]);
  t.equal(first.code, 0, first.stderr + first.stdout);
  const r1 = JSON.parse(first.stdout) as { txid: string; systemFee: string; networkFee: string; plans: Array<{ id: number; version: number }> };
  t.same(
    r1.plans,
    [
      { id: 1, version: 1 },
      { id: 2, version: 1 },
    ],
    'both plans at version 1, from the PlanPublished events',
  );
  const f1 = await feeOf(r1.txid);
  t.equal(f1.system, BigInt(r1.systemFee), "the system fee the CLI reports is the chain's");
  const hour = decodePlanTerms((await client.getPlan('0x' + owner.scriptHash, 2))!.terms);
  t.match(hour, { name: 'Hour', pricePerMinute: 100_000n, downKbps: 10000, upKbps: 2000, timeCapSeconds: 3600 });
  t.same(
    hour.zeroRated.map((z) => (z.kind === 'host' ? z.host : `${[...z.address].join('.')}/${z.prefix}`)),
    ['chat.example.net', '198.51.100.0/24'],
  );

  writeFileSync(file, JSON.stringify([{ id: 1, name: 'Pay per MB', pricePerMB: '0.0002' }]));
  const change = await cli(['publish', '--file', file, '--wif-file', wifFile, '--json', ...chainArgs]);
  t.equal(change.code, 0, change.stderr);
  const r2 = JSON.parse(change.stdout) as { txid: string; plans: Array<{ id: number; version: number }> };
  t.same(r2.plans, [{ id: 1, version: 2 }], 'a change is the next version');
  const f2 = await feeOf(r2.txid);
  t.equal(decodePlanTerms((await client.reader.getPlanVersion('0x' + owner.scriptHash, 1, 1))!).pricePerMB, 10_000n, 'version 1 stays on chain as published');

  const list = await cli(['list', '--owner', owner.address, '--json', ...chainArgs]);
  t.equal(list.code, 0, list.stderr);
  const l = JSON.parse(list.stdout) as { plans: Array<{ id: number; version: number; name: string; pricePerMB: string }> };
  t.match(l.plans, [
    { id: 1, version: 2, name: 'Pay per MB', pricePerMB: '0.0002' },
    { id: 2, version: 1, name: 'Hour', pricePerMB: '0' },
  ]);
  const text = await cli(['list', '--owner', '0x' + owner.scriptHash, ...chainArgs]);
  t.match(text.stdout, /plan 1 version 2: Pay per MB, 0\.0002 GAS\/MB/);
  t.comment(`FIGURE publish 2 plans (first versions): system ${gas(f1.system)} + network ${gas(f1.network)} = ${gas(f1.total)} GAS`);
  t.comment(`FIGURE change 1 plan (version 2): system ${gas(f2.system)} + network ${gas(f2.network)} = ${gas(f2.total)} GAS`);
});

t.test("publish from a UCI file: the router's own plan sections, a plan without chain_plan sold as its place", async (t) => {
  const file = join(dir, 'qlink');
  writeFileSync(
    file,
    `config agent 'agent'
	option guest_interface 'br-guest'

config plan 'hour'
	option name 'One hour'
	option price_per_minute '0.001'
	option down '10mbit'
	option up '2mbit'
	option minutes '60'

config plan 'day'
	option name 'Day pass'
	option chain_plan '7'
	option price_per_mb '0.00005'
	option quota_bytes '5000000000'
`,
  );
  const r = await cli(['publish', '--file', file, '--wif-file', wifFile, '--json', ...chainArgs]);
  t.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as { txid: string; plans: Array<{ id: number; version: number }> };
  t.same(
    out.plans,
    [
      { id: 1, version: 3 },
      { id: 7, version: 1 },
    ],
    'plan 1 (the first section) changed again, plan 7 new',
  );
  t.match(decodePlanTerms((await client.getPlan('0x' + owner.scriptHash, 1))!.terms), {
    name: 'One hour',
    pricePerMinute: 100_000n,
    downKbps: 10_000,
    upKbps: 2_000,
    timeCapSeconds: 3600,
  });
  t.match(decodePlanTerms((await client.getPlan('0x' + owner.scriptHash, 7))!.terms), { name: 'Day pass', pricePerMB: 5_000n, dataCapBytes: 5_000_000_000n });
  const f = await feeOf(out.txid);
  t.comment(`FIGURE publish 1 new + change 1 (UCI file): system ${gas(f.system)} + network ${gas(f.network)} = ${gas(f.total)} GAS`);
});

t.test('refused: a plan file that does not parse, bad usage, and no owner witness (another key signs for the owner)', async (t) => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify([{ id: 0, name: 'x' }]));
  const r = await cli(['publish', '--file', bad, '--wif-file', wifFile, ...chainArgs]);
  t.not(r.code, 0);
  t.match(r.stderr, /0\.id/, 'the bad field is named');
  t.equal((await cli(['publish', '--file', bad, ...chainArgs])).code, 2, 'no key file: usage');
  t.equal((await cli(['list', ...chainArgs])).code, 2, 'no owner: usage');
  // The contract takes the owner from the arguments and checks its witness: a guest's key publishing for the owner faults.
  const guest = account(state.wallets.guest1!.wif);
  const script = await import('../chain/src/scripts.js');
  const { encodePlanTerms } = await import('../protocol/src/index.js');
  const { testPlan } = await import('./helpers/plans.js');
  const forged = await client.run(
    script.call(state.contract, 'publishPlan', script.publishPlanArgs('0x' + owner.scriptHash, 9, encodePlanTerms(testPlan()))),
    [guest],
    { forceSystemFee: 50_000_000n },
  );
  t.equal(forged.vmstate, 'FAULT');
  t.match(forged.exception, /owner witness missing/);
  t.equal(await client.getPlan('0x' + owner.scriptHash, 9), null, 'nothing published');
});
