import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import type { ClientView } from '../agent/src/control/protocol.js';
import { buildRoot, inRoot, Opkg, ProcdDouble } from './helpers/openwrt-root.js';
import { sh, sleep, useTestbed } from './helpers/testbed.js';

// The x86_64 .ipk installed, run, restarted, upgraded and removed in an
// OpenWrt-like root (test/helpers/openwrt-root.ts) chrooted inside the
// testbed's router namespace: busybox ash runs the package's maintainer and
// init scripts; the agent runs from the installed tree as the user the
// install added, with the capabilities its /etc/capabilities/qlink.json names.
// What stands in for OpenWrt: opkg, procd (behind the stand-in ubus) and
// base-files' rc.common, functions.sh and procd.sh follow OpenWrt's documented
// behaviour (test/fixtures/openwrt/standin/README.md); uci is the flat-file
// double. The programs are this machine's: node is PyPI's glibc node 22
// (node:sqlite; the package's better-sqlite3 addon is musl's), nft, ip and tc
// Debian's; the counters reader is the package's own static musl program.
// (The x86_64 package's tree and natives are checked in
// test/openwrt-package.pkg.test.ts; here it runs.)
const ID = 'opkgi';
const REPO = new URL('../..', import.meta.url).pathname;
const NODE22 = /^NODE22=(.+)$/m.exec(execFileSync(join(REPO, 'scripts/lib/tools'), ['env', 'node22'], { encoding: 'utf8' }))![1]!;
const work = mkdtempSync(join(tmpdir(), 'qlink-opkg-'));
chmodSync(work, 0o755);
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ipkA = execFileSync(join(REPO, 'scripts/build-ipk'), ['--arch', 'x86_64', '--out', join(work, 'out')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
}).trim();

/** Package B: A's files with one change to the agent's code, which says so at start, as release 2. */
function buildB(): string {
  const b = join(work, 'b');
  for (const d of ['', 'control', 'data']) mkdirSync(join(b, d), { recursive: true });
  execFileSync('tar', ['-xzf', ipkA, '-C', b]);
  execFileSync('tar', ['-xzf', join(b, 'control.tar.gz'), '-C', join(b, 'control')]);
  execFileSync('tar', ['-xzf', join(b, 'data.tar.gz'), '-C', join(b, 'data')]);
  appendFileSync(join(b, 'data/usr/lib/node/qlink-agent/dist/agent/src/main.js'), "\nprocess.stderr.write('qlink-agent: build B\\n');\n");
  const control = join(b, 'control/control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: (.+)-1$/m, 'Version: $1-2'));
  execFileSync('tar', ['--numeric-owner', '-czf', join(b, 'control.tar.gz'), '-C', join(b, 'control'), '.']);
  execFileSync('tar', ['--numeric-owner', '-czf', join(b, 'data.tar.gz'), '-C', join(b, 'data'), '.']);
  const out = join(work, 'qlink-agent_b_x86_64.ipk');
  execFileSync('tar', ['-czf', out, '-C', b, './debian-binary', './control.tar.gz', './data.tar.gz']);
  return out;
}

t.test('opkg install, procd start and stop, upgrade, remove, in an OpenWrt-like root', async (t) => {
  const bed = await useTestbed(t, ID, { clients: 1, agent: false });
  const c1 = bed.clients[0]!;
  const root = join(work, 'root');
  buildRoot(root, NODE22);
  const binds = { '/tmp/bed': bed.stateDir };
  const inR = (argv: string[], env: Record<string, string> = {}) => tb.exec(ID, 'router', inRoot(root, argv, binds, env), { timeoutMs: 60_000, env: {} });
  const procd = new ProcdDouble(ID, root, binds);
  await procd.listen();
  t.teardown(() => procd.close());
  const opkg = new Opkg(root, work, inR);
  const qlink = (args: string[]) => inR(['/usr/bin/qlink', ...args]);
  const ready = async () => {
    for (let i = 0; i < 300 && !/not respawning/.test(procd.log) && (await qlink(['status'])).code !== 0; i++) await sleep(100);
  };
  const pid = () => procd.pid('qlink', 'agent');
  const rootFile = (p: string) => readFileSync(join(root, p), 'utf8');
  const table = async () => (await sh(ID, 'router', 'nft list table inet qlink >/dev/null 2>&1 && echo present')).stdout.trim();
  const http = async () => (await sh(ID, 'c1', `curl -sS -g -m 5 -D - http://${bed.upstream.ip4}/x`)).stdout;

  // The owner's /etc/config/qlink is already there (kept from a backup): the
  // testbed's guest bridge and leases, a faster poll. opkg keeps it.
  const shipped = execFileSync('sh', ['-c', `tar -xzOf '${ipkA}' ./data.tar.gz | tar -xzOf - ./etc/config/qlink`], { encoding: 'utf8' });
  const config = shipped
    .replace("option guest_interface 'br-guest'", "option guest_interface 'br-lan'")
    .replace("option leases_file '/tmp/dhcp.leases'", "option leases_file '/tmp/bed/dnsmasq.leases'")
    .replace("option poll_interval_ms '2000'", "option poll_interval_ms '1000'");
  t.not(config, shipped);
  writeFileSync(join(root, 'etc/config/qlink'), config, { mode: 0o600 });

  // Install.
  t.equal(await opkg.install(ipkA), 'installed');
  t.match(rootFile('etc/passwd'), /^qlink:x:370:370:qlink:\/var\/run\/qlink:\/bin\/false$/m, 'default_postinst added the user from Require-User');
  t.match(rootFile('etc/group'), /^qlink:x:370:qlink$/m, 'and its group');
  t.ok(
    opkg.messages.some((m) => m.includes('Existing conffile /etc/config/qlink is different')) && existsSync(join(root, 'etc/config/qlink-opkg')),
    "the owner's config kept, the package's beside it as qlink-opkg",
  );
  t.equal(rootFile('etc/config/qlink').replace(/\s+$/, ''), config.replace(/\s+$/, ''));
  t.same(readdirSync(join(root, 'etc/uci-defaults')), [], 'the uci-defaults ran once and are gone');
  t.match(rootFile('etc/uci-state'), /^firewall\.qlink\.path='?\/usr\/share\/qlink\/firewall\.include'?$/m, 'the fw4 include is set');
  t.same(
    rootFile('tmp/service-calls').trim().split('\n'),
    ['/etc/init.d/network reload', '/etc/init.d/dnsmasq reload', '/etc/init.d/firewall reload'],
    'postinst-pkg reloaded what the uci-defaults changed',
  );
  t.same(readdirSync(join(root, 'etc/rc.d')).sort(), ['K10qlink', 'S95qlink'], 'enabled (rc.d links)');
  t.ok(procd.calls.includes('/service/set qlink'), 'and started: the init script handed procd its instance');
  await ready();
  t.equal((await qlink(['status'])).code, 0, `the agent answers on /var/run/qlink/qlink.sock:\n${procd.log.slice(-1500)}`);
  const pidA = pid()!;
  const st = readFileSync(`/proc/${pidA}/status`, 'utf8');
  t.match(st, /^Uid:\s+370\s+370\s+370\s+370$/m, 'it runs as qlink');
  t.match(st, /^Groups:\s*$/m, 'in no other group');
  for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
    t.match(st, new RegExp(`^${set}:\\s+0000000000001000$`, 'm'), `${set}: CAP_NET_ADMIN only`);
  t.match(st, /^NoNewPrivs:\s+1$/m, 'no_new_privs');
  t.match(procd.log, /"sqlite":"node:sqlite"/, 'store on node:sqlite');
  t.match(procd.log, /"counters":"native reader \/usr\/libexec\/qlink\/qlink-counters"/, "counters from the package's reader");
  t.equal(lstatSync(join(root, 'etc/qlink')).uid, 370, 'the init script gave the data directory to qlink');
  t.equal(statSync(join(root, 'etc/config/qlink')).mode & 0o777, 0o640, 'and its config file to its group to read');

  // A guest pays (qlink auth stands in for the portal here) and is counted.
  t.match(await http(), /x-qlink-portal: 1/i, 'a guest is held at the portal');
  t.equal((await qlink(['auth', c1.ip4])).code, 0);
  t.match(await http(), /upstream ok/, 'online after qlink auth');
  const session = async () => {
    const c = (JSON.parse((await qlink(['clients', '--json'])).stdout) as ClientView[]).find((x) => x.ip4 === c1.ip4);
    return c && { mac: c.mac, state: c.state, sessionId: c.sessionId, startedAt: c.startedAt };
  };
  const before = await session();
  t.equal(before?.state, 'authorized', 'listed as authorized');
  await sh(ID, 'c1', `curl -sS -m 5 -o /dev/null http://${bed.upstream.ip4}/x`);
  await sleep(2500);
  const counted = (JSON.parse((await qlink(['clients', '--json'])).stdout) as ClientView[]).find((x) => x.ip4 === c1.ip4);
  t.ok(counted && counted.bytesDown > 0, `the package's static musl reader counted the guest's bytes: ${JSON.stringify(counted)}`);

  // What the fw4 include does after a firewall restart that took the table.
  await sh(ID, 'router', 'nft delete table inet qlink');
  t.equal((await qlink(['repair'])).code, 0);
  t.equal(await table(), 'present', 'qlink repair puts the table back at once');

  // The init script's commands through rc.common and procd.
  t.equal((await inR(['/etc/init.d/qlink', 'running'])).code, 0, 'running: yes');
  t.equal((await inR(['/etc/init.d/qlink', 'start'])).code, 0);
  t.equal(pid(), pidA, 'start of an unchanged instance: procd leaves it running');
  t.equal((await inR(['/etc/init.d/qlink', 'stop'])).code, 0);
  t.equal(pid(), null, 'stop ends it');
  t.equal((await inR(['/etc/init.d/qlink', 'running'])).code, 1, 'running: no (service_running asks procd)');
  t.equal(await table(), 'present', 'stop keeps the gate');
  t.match(await http(), /upstream ok/, 'and the paid guest online');
  t.equal((await inR(['/etc/init.d/qlink', 'start'])).code, 0);
  await ready();
  const pidS = pid()!;
  t.not(pidS, pidA, 'start runs a new one');
  process.kill(pidS, 'SIGKILL');
  for (let i = 0; i < 100 && (pid() === null || pid() === pidS); i++) await sleep(100);
  t.ok(pid() !== null && pid() !== pidS, "killed, procd respawns it after respawn's 5 s");
  await ready();
  const pidR = pid()!;
  // A broken edit: the reload's SIGHUP reports it by section and option and keeps the running config.
  const good = rootFile('etc/config/qlink');
  writeFileSync(join(root, 'etc/config/qlink'), good.replace("option poll_interval_ms '1000'", "option poll_interval_ms 'soon'"));
  t.equal((await inR(['/etc/init.d/qlink', 'reload'])).code, 0);
  for (let i = 0; i < 100 && !/reload refused/.test(procd.log); i++) await sleep(100);
  const refused = procd.log.split('\n').find((l) => l.includes('reload refused')) ?? '';
  t.match(refused, /qlink\.agent\.poll_interval_ms: expected a whole number/, `a bad edit is refused, the value named: ${refused}`);
  t.equal(pid(), pidR, 'the agent keeps running');
  t.match(await http(), /upstream ok/, 'and the guest stays online');
  writeFileSync(join(root, 'etc/config/qlink'), good.replace("option poll_interval_ms '1000'", "option poll_interval_ms '1500'"));
  t.equal((await inR(['/etc/init.d/qlink', 'reload'])).code, 0);
  for (let i = 0; i < 100 && !/config reloaded/.test(procd.log); i++) await sleep(100);
  t.equal(pid(), pidR, 'reload after an edit: the same process ...');
  t.match(procd.log, /config reloaded/, '... got reload_signal (SIGHUP) and re-read its config');
  const edited = rootFile('etc/config/qlink');

  // Upgrade to B.
  const storeFiles = readdirSync(join(root, 'etc/qlink')).sort();
  t.ok(storeFiles.length > 0, `the store is in /etc/qlink: ${storeFiles.join(' ')}`);
  rmSync(join(root, 'etc/config/qlink-opkg'));
  t.equal(await opkg.install(buildB()), 'upgraded');
  t.equal(rootFile('etc/config/qlink'), edited, "the upgrade keeps the owner's /etc/config/qlink");
  t.ok(existsSync(join(root, 'etc/config/qlink-opkg')), "and puts the package's beside it");
  t.equal(rootFile('etc/passwd').match(/^qlink:/gm)?.length, 1, 'one qlink user still');
  t.same(readdirSync(join(root, 'etc/rc.d')).sort(), ['K10qlink', 'S95qlink'], 'still enabled');
  await ready();
  t.not(pid(), pidR, 'postinst restarted the agent ...');
  t.match(procd.log, /qlink-agent: build B/, '... and the new code runs');
  t.same(readdirSync(join(root, 'etc/qlink')).sort(), storeFiles, 'the store stays');
  const after = await session();
  t.same(after, before, "the paid guest's session came through the upgrade from the store");
  t.match(await http(), /upstream ok/, 'and the guest is online');

  // Remove.
  await opkg.remove('qlink-agent');
  t.equal(pid(), null, 'prerm stopped it');
  t.notOk(procd.services.has('qlink'), 'procd has no qlink service');
  const left = execFileSync('ip', ['netns', 'pids', bed.router.ns], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((p) => {
      try {
        return `${/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')}`;
      } catch {
        return '';
      }
    })
    .filter((c) => c.startsWith('370 ') || c.includes('/usr/lib/node/qlink-agent') || c.includes('qlink-counters'));
  t.same(left, [], 'no process of the package (as uid 370, or from its files) in the router namespace');
  t.equal((await sh(ID, 'router', 'nft list tables')).stdout.match(/\bqlink\b/g), null, 'no table named qlink in any family');
  t.notMatch(rootFile('etc/uci-state'), /^firewall\.qlink[.=]/m, 'the fw4 include is gone');
  t.notMatch(rootFile('etc/passwd') + rootFile('etc/group') + rootFile('etc/shadow'), /^qlink:/m, 'no qlink user or group');
  t.same(readdirSync(join(root, 'etc/rc.d')), [], 'no rc.d links');
  for (const p of ['etc/init.d/qlink', 'usr/bin/qlink', 'usr/lib/node/qlink-agent', 'usr/libexec/qlink', 'usr/share/qlink', 'etc/capabilities/qlink.json']) {
    t.notOk(existsSync(join(root, p)), `${p} gone`);
  }
  t.ok(
    opkg.messages.includes('Not deleting modified conffile /etc/config/qlink.') && existsSync(join(root, 'etc/config/qlink')),
    "the owner's config stays, as opkg keeps a changed conffile",
  );
  t.ok(existsSync(join(root, 'etc/qlink')), 'and the store and key in /etc/qlink');
  t.notOk(existsSync(join(root, 'usr/lib/opkg/info/qlink-agent.control')) || /qlink-agent/.test(rootFile('usr/lib/opkg/status')), 'opkg forgot the package');
});
