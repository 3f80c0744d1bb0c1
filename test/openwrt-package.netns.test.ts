import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { agentPaths } from '../scripts/lib/testbed/agent.js';
import { sh, sleep, useTestbed } from './helpers/testbed.js';

const ID = 'opkg';
const REPO = new URL('../..', import.meta.url).pathname;

t.test('the agent runs from the unpacked .ipk with a UCI config in the router namespace', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'qlink-ipk-net-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const ipk = execFileSync(join(REPO, 'scripts/build-ipk'), ['--out', join(work, 'out')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const root = join(work, 'root');
  mkdirSync(join(work, 'pkg'), { recursive: true });
  mkdirSync(root);
  execFileSync('tar', ['-xzf', ipk, '-C', join(work, 'pkg')]);
  execFileSync('tar', ['-xzf', join(work, 'pkg/data.tar.gz'), '-C', root]);

  const bed = await useTestbed(t, ID, { clients: 1, agent: false });
  const c1 = bed.clients[0]!;
  const p = agentPaths(bed.stateDir);
  // The shipped /etc/config/qlink, pointed at the testbed's bridge, socket, leases and a scratch data dir.
  const uci = readFileSync(join(root, 'etc/config/qlink'), 'utf8')
    .replace("option guest_interface 'br-guest'", "option guest_interface 'br-lan'")
    .replace("option data_dir '/etc/qlink'", `option data_dir '${p.dataDir}'`)
    .replace("option control_socket '/var/run/qlink/qlink.sock'", `option control_socket '${p.socket}'`)
    .replace("option leases_file '/tmp/dhcp.leases'", `option leases_file '${p.leases}'`)
    .replace("option poll_interval_ms '2000'", "option poll_interval_ms '1000'");
  const uciFile = join(work, 'qlink');
  writeFileSync(uciFile, uci);

  const main = join(root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js');
  const cli = join(root, 'usr/bin/qlink');
  let log = '';
  const agent: ChildProcess = tb.spawn(ID, 'router', ['node', main, '--uci', uciFile], { env: { NODE_OPTIONS: '' } });
  agent.stdout!.on('data', (d) => { log += d; });
  agent.stderr!.on('data', (d) => { log += d; });
  const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
  t.teardown(async () => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
    await exited;
  });
  const qlink = (args: string[]) => tb.exec(ID, 'router', [cli, ...args], { timeoutMs: 20_000 });

  for (let i = 0; i < 300 && !(existsSync(p.socket) && (await qlink(['status'])).code === 0); i++) await sleep(50);
  t.equal((await qlink(['status', '--json'])).code, 0, `the agent answers on the socket its UCI config names:\n${log.slice(-2000)}`);

  const http = async () => (await sh(ID, 'c1', `curl -sS -g -m 5 -D - http://${bed.upstream.ip4}/x`)).stdout;
  t.match(await http(), /x-qlink-portal: 1/i, 'a guest is held at the portal');
  const a = await qlink(['auth', c1.ip4, '--json']);
  t.equal(a.code, 0, a.stderr);
  t.match(await http(), /upstream ok/, 'after qlink auth the guest reaches the upstream');

  // A broken edit: SIGHUP reports it by section and option and keeps the running config.
  writeFileSync(uciFile, uci.replace("option poll_interval_ms '1000'", "option poll_interval_ms 'soon'"));
  agent.kill('SIGHUP');
  for (let i = 0; i < 100 && !/reload refused/.test(log); i++) await sleep(50);
  const refused = log.split('\n').find((l) => l.includes('reload refused')) ?? '';
  t.match(refused, /qlink\.agent\.poll_interval_ms: expected a whole number/, `the bad value is named: ${refused}`);
  t.equal(agent.exitCode, null, 'the agent keeps running');
  t.match(await http(), /upstream ok/, 'and the guest stays online');

  // What the fw4 include does after a firewall restart that took the table.
  await sh(ID, 'router', 'nft delete table inet qlink');
  const r = await qlink(['repair', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.equal((await sh(ID, 'router', 'nft list table inet qlink >/dev/null && echo present')).stdout.trim(), 'present', 'qlink repair puts the table back at once');
  t.match(await http(), /upstream ok/, 'the paid guest is let through again');

  agent.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops the agent cleanly');
  t.equal((await sh(ID, 'router', 'nft list table inet qlink >/dev/null && echo present')).stdout.trim(), 'present', 'stop leaves the table and counters');
});
