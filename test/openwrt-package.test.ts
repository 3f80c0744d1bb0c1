import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const REPO = new URL('../..', import.meta.url).pathname;
const FILES = join(REPO, 'openwrt/qlink-agent/files');
const work = mkdtempSync(join(tmpdir(), 'qlink-ipk-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// One commit for every build here, so a commit landing mid-test cannot look like a reproducibility failure.
const COMMIT = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const build = (out: string): string => execFileSync(join(REPO, 'scripts/build-ipk'), ['--ref', COMMIT, '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const tar = (...args: string[]) => execFileSync('tar', args, { encoding: 'utf8' });

const ipk = build(join(work, 'a'));
const pkg = join(work, 'pkg');
const root = join(work, 'root');
mkdirSync(pkg);
mkdirSync(root);
tar('-xzf', ipk, '-C', pkg);
tar('-xzf', join(pkg, 'data.tar.gz'), '-C', root);
const ctl = join(work, 'control');
mkdirSync(ctl);
tar('-xzf', join(pkg, 'control.tar.gz'), '-C', ctl);

t.test('the .ipk is an OpenWrt package: outer gzipped tar, control, conffiles', async (t) => {
  t.match(ipk, /qlink-agent_\d+\.\d+\.\d+-\d+_x86_64\.ipk$/);
  t.same(tar('-tzf', ipk).trim().split('\n'), ['./debian-binary', './control.tar.gz', './data.tar.gz']);
  t.equal(readFileSync(join(pkg, 'debian-binary'), 'utf8'), '2.0\n');
  const control = readFileSync(join(ctl, 'control'), 'utf8');
  const field = (k: string) => new RegExp(`^${k}: (.+)$`, 'm').exec(control)?.[1];
  t.equal(field('Package'), 'qlink-agent');
  t.match(field('Version'), /^\d+\.\d+\.\d+-\d+$/);
  t.equal(field('Architecture'), 'x86_64');
  const depends = field('Depends')!.split(', ');
  for (const d of ['libc', 'node', 'nftables-json', 'kmod-nft-core', 'tc', 'kmod-sched-core', 'kmod-ifb', 'libmnl']) t.ok(depends.includes(d), `Depends has ${d}`);
  const unpacked = Number(execFileSync('find', [root, '-type', 'f', '-printf', '%s\\n'], { encoding: 'utf8' }).trim().split('\n').reduce((s, n) => s + Number(n), 0));
  t.equal(Number(field('Installed-Size')), unpacked, 'Installed-Size is the bytes of the files it installs');
  t.match(control, /^Description: .+\n .+/m, 'a description with a continuation line');
  t.equal(readFileSync(join(ctl, 'conffiles'), 'utf8'), '/etc/config/qlink\n');
  for (const s of ['postinst', 'prerm']) t.equal(statSync(join(ctl, s)).mode & 0o777, 0o755, `${s} is executable`);
  const owners = tar('--numeric-owner', '-tvzf', join(pkg, 'data.tar.gz')).trim().split('\n').map((l) => l.split(/\s+/)[1]);
  t.same([...new Set(owners)], ['0/0'], 'every file is owned by 0:0');
});

t.test('unpacked, its files are where OpenWrt expects them', async (t) => {
  const mode = (p: string) => statSync(join(root, p)).mode & 0o777;
  t.equal(mode('etc/init.d/qlink'), 0o755);
  t.equal(mode('etc/config/qlink'), 0o644);
  t.equal(mode('etc/uci-defaults/90-qlink'), 0o755);
  t.ok(existsSync(join(root, 'usr/share/qlink/firewall.include')));
  t.same(readFileSync(join(root, 'lib/upgrade/keep.d/qlink'), 'utf8').split('\n').filter((l) => l.startsWith('/')), ['/etc/config/qlink', '/etc/qlink/']);
  t.ok(existsSync(join(root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js')));
  t.ok(existsSync(join(root, 'usr/lib/node/qlink-agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node')));
  t.notOk(existsSync(join(root, 'usr/lib/node/qlink-agent/node_modules/@cityofzion')), 'the gateway\'s dependencies stay out');
  t.notOk(existsSync(join(root, 'usr/lib/node/qlink-agent/node_modules/typescript')), 'no dev dependencies');
  t.ok(lstatSync(join(root, 'usr/bin/qlink')).isSymbolicLink());
  t.equal(readlinkSync(join(root, 'usr/bin/qlink')), '../lib/node/qlink-agent/dist/agent/src/cli/main.js');
  if (existsSync(join(REPO, 'agent/native/qlink-counters.c'))) t.equal(mode('usr/libexec/qlink/qlink-counters'), 0o755);
  const help = spawnSync(join(root, 'usr/bin/qlink'), ['--help'], { encoding: 'utf8' });
  t.match(help.stderr, /usage: qlink/, 'the CLI runs from the package tree');
  const agent = spawnSync('node', [join(root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js'), '--uci', join(root, 'etc/config/qlink'), '--config', 'x'], { encoding: 'utf8' });
  t.equal(agent.status, 2, 'the agent starts from the tree and refuses --uci with --config');
});

t.test('building twice gives the same bytes', async (t) => {
  const again = build(join(work, 'b'));
  t.equal(sha256(again), sha256(ipk));
});

t.test('postinst and prerm do nothing to the running system inside an image root', async (t) => {
  const img = join(work, 'image');
  mkdirSync(img);
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const calls = join(work, 'calls');
  // Anything they might run on a live system records its call instead.
  for (const cmd of ['nft', 'uci', 'logger']) writeFileSync(join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> ${calls}\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, IPKG_INSTROOT: img };
  t.equal(spawnSync('sh', [join(ctl, 'postinst')], { env }).status, 0);
  t.equal(readlinkSync(join(img, 'etc/rc.d/S95qlink')), '../init.d/qlink', 'the service is enabled in the image');
  t.equal(spawnSync('sh', [join(ctl, 'prerm'), 'remove'], { env }).status, 0);
  t.notOk(existsSync(calls), 'nothing was run against the live system');
  t.match(readFileSync(join(ctl, 'postinst'), 'utf8'), /IPKG_INSTROOT/);
});

/** Sources the real init script with procd/uci stubs that print each call, as OpenWrt's rc.common would call it. */
function runInit(fn: string, uci: Record<string, string>): string[] {
  const stubs = `
config_load() { echo "config_load $1"; }
config_get_bool() { eval "$1=\\\${UCI_$2_$3:-$4}"; case "$(eval echo \\$$1)" in 1|on|true|yes|enabled) eval "$1=1";; *) eval "$1=0";; esac; }
procd_open_instance() { echo "procd_open_instance $*"; }
procd_set_param() { echo "procd_set_param $*"; }
procd_close_instance() { echo "procd_close_instance"; }
procd_add_reload_trigger() { echo "procd_add_reload_trigger $*"; }
. "$INIT"
${fn}
`;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', INIT: join(FILES, 'qlink.init') };
  for (const [k, v] of Object.entries(uci)) env[`UCI_${k.replace('.', '_')}`] = v;
  const r = spawnSync('sh', ['-c', stubs], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`init harness failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

t.test('the procd init script: command, respawn, syslog, reload by SIGHUP on config change', async (t) => {
  const calls = runInit('start_service', {});
  t.same(calls, [
    'config_load qlink',
    'procd_open_instance agent',
    'procd_set_param command /usr/bin/node /usr/lib/node/qlink-agent/dist/agent/src/main.js --uci /etc/config/qlink',
    'procd_set_param env NODE_ENV=production',
    'procd_set_param file /etc/config/qlink',
    'procd_set_param reload_signal HUP',
    'procd_set_param respawn 3600 5 5',
    'procd_set_param stdout 1',
    'procd_set_param stderr 1',
    'procd_set_param term_timeout 15',
    'procd_close_instance',
  ]);
  t.ok(existsSync(join(root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js')), 'the command names a file the package installs');
  t.same(runInit('service_triggers', {}), ['procd_add_reload_trigger qlink']);
  t.same(runInit('start_service', { 'agent.enabled': '0' }), ['config_load qlink'], 'enabled=0 starts nothing');
  const init = readFileSync(join(FILES, 'qlink.init'), 'utf8');
  t.match(init, /^USE_PROCD=1$/m);
  t.notMatch(init, /^\s*stop_service\s*\(\)|\bnft\b|delete table/m, 'stop leaves the kernel table and counters');
});

t.test('packaging files are shellcheck clean', async (t) => {
  const r = spawnSync('shellcheck', [join(REPO, 'scripts/build-ipk'), ...['qlink.init', 'qlink.uci-defaults', 'qlink.postinst', 'qlink.prerm'].map((f) => join(FILES, f))], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout);
  const fw = spawnSync('shellcheck', ['-s', 'sh', join(FILES, 'qlink.firewall')], { encoding: 'utf8' });
  t.equal(fw.status, 0, fw.stdout);
});
