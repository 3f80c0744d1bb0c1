import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { answerCommand, type CommandContext } from '../agent/src/commands.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { closeControlServer, startControlServer } from '../agent/src/control/server.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { account, QlinkClient } from '../chain/src/index.js';
import { decodePlanTerms } from '../protocol/src/index.js';
import { newKeyPair } from '../protocol/src/node/index.js';
import { startChain } from '../scripts/lib/chain.js';

// `qlink register --wif-file`, kept for scripts, on a real neo-go chain: the
// daemon's control socket signs the claim for the key file's account (the
// router's key stays in the daemon), the CLI sends registerRouter and the
// config's plans in one transaction it builds without neon-js; the router is
// then the owner's on chain with its plans; a second run is refused by the
// contract and says so; a missing key file is a usage error.
const chain = await startChain();
t.teardown(() => chain.stop());
const { state } = chain;
const client = new QlinkClient(state);
const dir = mkdtempSync(join(tmpdir(), 'qlink-register-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const socket = join(dir, 'qlink.sock');
const identity = identityFromKey(newKeyPair().privateKey);
const config = parseConfig({
  controlSocket: socket,
  chain: { networkMagic: state.networkMagic, contract: state.contract },
  portal: { rpcUrl: state.rpc },
  plans: [
    { id: 'hour', name: 'One hour', pricePerMinute: '0.001', minutes: 60 },
    { id: 'mb', name: 'Per MB', pricePerMb: '0.0001', chainPlan: 3 },
  ],
});
// The claim is all `register` asks of the daemon: its config, its key, its clock.
const ctx = { config, identity, clock: Date.now } as unknown as CommandContext;
const server = await startControlServer(socket, (req) => answerCommand(ctx, req), pino({ level: 'silent' }));
t.teardown(() => closeControlServer(server, socket));
const wifFile = join(dir, 'owner.wif');
writeFileSync(wifFile, state.wallets.owner!.wif, { mode: 0o600 });
const owner = account(state.wallets.owner!.wif);

const qlink = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'node',
      ['dist/agent/src/cli/main.js', '--socket', socket, ...args],
      { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 90_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });

t.test("register: the router is the owner's on chain, with the config's plans, in one transaction", async (t) => {
  t.equal(await client.getRouter(identity.publicKey), null, 'not registered before');
  const r = await qlink(['register', '--wif-file', wifFile, '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { txid: string; vmstate: string; plans: number[]; systemFee: string; networkFee: string };
  t.match(out, { vmstate: 'HALT', plans: [1, 3] });
  t.match(await client.getRouter(identity.publicKey), { owner: '0x' + owner.scriptHash, active: true });
  t.match(decodePlanTerms((await client.getPlan('0x' + owner.scriptHash, 1))!.terms), { name: 'One hour', pricePerMinute: 100_000n, timeCapSeconds: 3600 });
  t.match(decodePlanTerms((await client.getPlan('0x' + owner.scriptHash, 3))!.terms), { name: 'Per MB', pricePerMB: 10_000n });
  const tx = (await client.rpc.getRawTransaction(out.txid, true)) as unknown as { sysfee: string; netfee: string; signers: Array<{ account: string }> };
  t.equal(tx.sysfee, out.systemFee, "the fees it reports are the chain's");
  t.equal(tx.netfee, out.networkFee);
  t.same(
    tx.signers.map((s) => s.account),
    ['0x' + owner.scriptHash],
    'witnessed and paid by the owner alone',
  );
  t.comment(`FIGURE qlink register with 2 plans: system ${Number(out.systemFee) / 1e8} + network ${Number(out.networkFee) / 1e8} GAS`);
});

t.test('refused: registered already (the chain says why), no key file', async (t) => {
  const again = await qlink(['register', '--wif-file', wifFile]);
  t.not(again.code, 0);
  t.match(again.stderr, /router already registered/);
  t.equal((await qlink(['register'])).code, 2, 'no --wif-file: usage');
  const noFile = await qlink(['register', '--wif-file', join(dir, 'missing.wif')]);
  t.equal(noFile.code, 1);
  t.match(noFile.stderr, /ENOENT/);
});
