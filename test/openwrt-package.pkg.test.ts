import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const REPO = new URL('../..', import.meta.url).pathname;
const FILES = join(REPO, 'openwrt/qlink-agent/files');
const FIXTURES = join(REPO, 'test/fixtures/openwrt');
const work = mkdtempSync(join(tmpdir(), 'qlink-ipk-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** The OpenWrt architectures scripts/build-ipk builds for, with what their ELF files must say. */
const TARGETS = [
  { arch: 'x86_64', machine: 'Advanced Micro Devices X86-64', family: 'x86_64', qemu: null },
  { arch: 'aarch64_cortex-a53', machine: 'AArch64', family: 'aarch64', qemu: 'qemu-aarch64-static' },
  { arch: 'aarch64_generic', machine: 'AArch64', family: 'aarch64', qemu: 'qemu-aarch64-static' },
  { arch: 'arm_cortex-a7_neon-vfpv4', machine: 'ARM', family: 'arm', qemu: 'qemu-arm-static' },
] as const;

// One commit for every build here, so a commit landing mid-test cannot look like a reproducibility failure.
const COMMIT = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const build = (arch: string, out: string): string =>
  execFileSync(join(REPO, 'scripts/build-ipk'), ['--arch', arch, '--ref', COMMIT, '--out', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 3_600_000,
  }).trim();
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const tar = (...args: string[]) => execFileSync('tar', args, { encoding: 'utf8' });
const tools = Object.fromEntries(
  execFileSync(join(REPO, 'scripts/lib/tools'), ['env', 'node20', 'musl', 'qemu'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

interface Unpacked {
  ipk: string;
  pkg: string;
  root: string;
  ctl: string;
}
function unpack(ipk: string, dir: string): Unpacked {
  const u = { ipk, pkg: join(dir, 'pkg'), root: join(dir, 'root'), ctl: join(dir, 'control') };
  for (const d of [u.pkg, u.root, u.ctl]) mkdirSync(d, { recursive: true });
  tar('-xzf', ipk, '-C', u.pkg);
  tar('-xzf', join(u.pkg, 'data.tar.gz'), '-C', u.root);
  tar('-xzf', join(u.pkg, 'control.tar.gz'), '-C', u.ctl);
  return u;
}
const built = new Map<string, Unpacked>();
for (const { arch } of TARGETS) built.set(arch, unpack(build(arch, join(work, arch)), join(work, arch)));
const x86 = built.get('x86_64')!;

const elves = (root: string) =>
  readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => {
      const p = join(root, f);
      if (!lstatSync(p).isFile()) return false;
      return readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF';
    });

for (const target of TARGETS) {
  t.test(`${target.arch}: an OpenWrt package for that architecture, natives for its CPU and musl`, async (t) => {
    const { ipk, pkg, root, ctl } = built.get(target.arch)!;
    t.match(ipk, new RegExp(`qlink-agent_\\d+\\.\\d+\\.\\d+-\\d+_${target.arch}\\.ipk$`));
    t.same(tar('-tzf', ipk).trim().split('\n'), ['./debian-binary', './control.tar.gz', './data.tar.gz']);
    t.equal(readFileSync(join(pkg, 'debian-binary'), 'utf8'), '2.0\n');
    const control = readFileSync(join(ctl, 'control'), 'utf8');
    const field = (k: string) => new RegExp(`^${k}: (.+)$`, 'm').exec(control)?.[1];
    t.equal(field('Package'), 'qlink-agent');
    t.match(field('Version'), /^\d+\.\d+\.\d+-\d+$/);
    t.equal(field('Architecture'), target.arch);
    t.equal(field('Require-User'), 'qlink=370:qlink=370', 'the user the agent runs as (default_postinst adds it)');
    const depends = field('Depends')!.split(', ');
    for (const d of ['libc', 'node', 'ip-full', 'procd-ujail', 'nftables-json', 'kmod-nft-core', 'tc', 'kmod-sched-core', 'kmod-ifb'])
      t.ok(depends.includes(d), `Depends has ${d}`);
    t.notOk(
      depends.some((d) => d.startsWith('@')),
      'no build conditions in Depends',
    );
    const unpacked = Number(
      execFileSync('find', [root, '-type', 'f', '-printf', '%s\\n'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .reduce((s, n) => s + Number(n), 0),
    );
    t.equal(Number(field('Installed-Size')), unpacked, 'Installed-Size is the bytes of the files it installs');
    t.equal(readFileSync(join(ctl, 'conffiles'), 'utf8'), '/etc/config/qlink\n');
    t.same(readdirSync(ctl).sort(), ['conffiles', 'control', 'postinst', 'postinst-pkg', 'postrm', 'prerm'], 'control files as package-pack.mk lays them out');
    const owners = tar('--numeric-owner', '-tvzf', join(pkg, 'data.tar.gz'))
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]);
    t.same([...new Set(owners)], ['0/0'], 'every file is owned by 0:0');

    // Every ELF: this CPU, musl, and nothing glibc.
    const files = elves(root).sort();
    t.same(
      files.map((f) => f.replace(/.*\//, '')).sort(),
      ['better_sqlite3.node', 'qlink-counters', 'qlink-writer'],
      "the native files: the addon and agent/native's programs",
    );
    const check = spawnSync(join(REPO, 'scripts/lib/elf-check'), ['--arch', target.arch, ...files.map((f) => join(root, f))], { encoding: 'utf8' });
    t.equal(check.status, 0, `elf-check: ${check.stdout}${check.stderr}`);
    const readelf = (args: string[], f: string) => execFileSync('readelf', [...args, join(root, f)], { encoding: 'utf8' });
    for (const f of files) {
      t.match(readelf(['-h'], f), new RegExp(`Machine:\\s+${target.machine}\\n`), `${f}: ${target.machine}`);
      t.notMatch(readelf(['-d'], f), /libc\.so\.6|ld-linux/, `${f}: no glibc`);
    }
    const counters = files.find((f) => f.endsWith('/qlink-counters'))!;
    t.equal(counters, 'usr/libexec/qlink/qlink-counters');
    t.notMatch(readelf(['-l'], counters), /program interpreter/, 'qlink-counters is static: no interpreter');
    t.notMatch(readelf(['-d'], counters), /NEEDED/, 'and no NEEDED');
    const addon = files.find((f) => f.endsWith('better_sqlite3.node'))!;
    t.same(
      [...readelf(['-d'], addon).matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]),
      ['libc.so'],
      "the addon needs musl's libc.so only",
    );
    if (target.family === 'arm') t.match(readelf(['-h'], addon), /Version5 EABI, hard-float ABI/, 'EABI5 hard-float');
    t.equal(statSync(join(root, counters)).mode & 0o777, 0o755);
  });

  // Debian's musl (1.2.3) loader for the target's CPU: older than OpenWrt 24.10's 1.2.5, new enough to link these.
  t.test(`${target.arch}: the natives under a musl loader and CPU of the target`, async (t) => {
    const { root } = built.get(target.arch)!;
    const ldso = tools[`MUSL_LDSO_${target.family}`];
    const run = (argv: string[]) => spawnSync(target.qemu ?? argv[0]!, target.qemu ? argv : argv.slice(1), { encoding: 'utf8' });
    const counters = join(root, 'usr/libexec/qlink/qlink-counters');
    const usage = run([counters, '--bogus']);
    t.equal(usage.status, 1, 'qlink-counters runs and refuses a bad argument');
    t.match(usage.stderr, /usage: .*qlink-counters \[--table NAME\]/);
    // In a fresh network namespace: no table there (natively), or qemu-user's missing NETLINK_NETFILTER support.
    const fresh = spawnSync('unshare', ['-n', ...(target.qemu ? [target.qemu] : []), counters], { encoding: 'utf8' });
    if (target.qemu) {
      t.equal(fresh.status, 1, 'under qemu-user the reader gets no NETLINK_NETFILTER socket');
      t.match(fresh.stderr, /qlink-counters: netlink socket: Protocol not supported/, 'and says so');
    } else {
      t.equal(fresh.status, 3, `natively it asks the kernel and finds no table: ${fresh.stderr}`);
      t.match(fresh.stderr, /table inet qlink does not exist/);
    }
    t.ok(ldso && existsSync(ldso), `Debian's musl loader for ${target.family}: ${ldso}`);
    // The loader links the addon: every symbol it cannot find must be one node 20 itself exports.
    const list = run([ldso!, '--list', join(root, 'usr/lib/node/qlink-agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node')]);
    t.match(list.stdout, /libc\.so => /, `musl's loader maps libc.so for the addon: ${list.stdout}`);
    const missing = [...new Set([...list.stderr.matchAll(/: ([^: ]+): symbol not found/g)].map((m) => m[1]!))];
    const node = tools[`NODE20_BIN_${target.family}`]!;
    const exported = new Set(
      execFileSync('nm', ['-D', '--defined-only', node], { encoding: 'utf8', maxBuffer: 64 << 20 })
        .split('\n')
        .map((l) => l.split(' ')[2]?.replace(/@.*/, ''))
        .filter(Boolean),
    );
    t.ok(missing.length > 50, `the addon imports node's API (${missing.length} symbols)`);
    t.same(
      missing.filter((s) => !exported.has(s)),
      [],
      `everything musl's loader leaves open is exported by node 20 (${node.replace(/.*node20\//, '')})`,
    );
  });
}

t.test('unpacked, its files are where OpenWrt expects them', async (t) => {
  const { root } = x86;
  const mode = (p: string) => statSync(join(root, p)).mode & 0o777;
  t.equal(mode('etc/init.d/qlink'), 0o755);
  t.equal(mode('etc/config/qlink'), 0o600, "INSTALL_CONF: it may hold the uplink's password");
  t.equal(mode('etc/uci-defaults/90-qlink'), 0o755);
  t.equal(mode('usr/share/qlink/dhcp-captive.sh'), 0o755);
  t.ok(existsSync(join(root, 'usr/share/qlink/firewall.include')));
  const caps = JSON.parse(readFileSync(join(root, 'etc/capabilities/qlink.json'), 'utf8')) as Record<string, string[]>;
  t.same(
    caps,
    Object.fromEntries(['bounding', 'effective', 'permitted', 'inheritable', 'ambient'].map((k) => [k, ['CAP_NET_ADMIN']])),
    'CAP_NET_ADMIN in every set, nothing else',
  );
  t.same(
    readFileSync(join(root, 'lib/upgrade/keep.d/qlink'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('/')),
    ['/etc/config/qlink', '/etc/qlink/'],
  );
  const lib = join(root, 'usr/lib/node/qlink-agent');
  t.ok(existsSync(join(lib, 'dist/agent/src/main.js')));
  t.ok(existsSync(join(lib, 'dist/captive-portal/portal.html')), "the guest's page");
  t.notOk(existsSync(join(lib, 'dist/gateway')), 'nothing of the gateway');
  const modules = readdirSync(join(lib, 'node_modules')).flatMap((n) =>
    n.startsWith('@') ? readdirSync(join(lib, 'node_modules', n)).map((m) => `${n}/${m}`) : [n],
  );
  for (const m of ['@cityofzion', 'pg', 'lodash', 'typescript', 'prebuild-install', '@types/node', 'undici-types'])
    t.notOk(
      modules.some((x) => x === m || x.startsWith(`${m}/`)),
      `no ${m}`,
    );
  for (const m of ['better-sqlite3', 'mqtt', 'pino', 'zod', '@noble/hashes']) t.ok(modules.includes(m), `has ${m} (agent/package.json)`);
  t.ok(lstatSync(join(root, 'usr/bin/qlink')).isSymbolicLink());
  t.equal(readlinkSync(join(root, 'usr/bin/qlink')), '../lib/node/qlink-agent/dist/agent/src/cli/main.js');
  const help = spawnSync(join(root, 'usr/bin/qlink'), ['--help'], { encoding: 'utf8' });
  t.match(help.stderr, /usage: qlink/, 'the CLI runs from the package tree');
  const agent = spawnSync('node', [join(lib, 'dist/agent/src/main.js'), '--uci', join(root, 'etc/config/qlink'), '--config', 'x'], { encoding: 'utf8' });
  t.equal(agent.status, 2, 'the agent starts from the tree and refuses --uci with --config');
});

t.test('building twice gives the same bytes', async (t) => {
  t.equal(sha256(build('x86_64', join(work, 'again'))), sha256(x86.ipk));
});

/** Runs a package script with uci, logger and the init scripts replaced by doubles that record their calls. */
function runScript(
  script: string,
  env: Record<string, string>,
  init = '',
  users?: Record<string, string>,
): { dir: string; status: number | null; calls: string[]; stderr: string } {
  const dir = mkdtempSync(join(work, 'script-'));
  for (const [db, text] of Object.entries(users ?? {})) writeFileSync(join(dir, db), text);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const calls = join(dir, 'calls');
  for (const cmd of ['nft', 'logger'])
    writeFileSync(
      join(bin, cmd),
      `#!/bin/sh\necho "${cmd} $*" >> ${calls}\n${cmd === 'nft' ? `[ "$1" = list ] && printf 'table inet qlink\\ntable bridge qlink\\ntable inet fw4\\n'\n` : ''}`,
      { mode: 0o755 },
    );
  const initd = join(dir, 'init.d');
  mkdirSync(initd);
  for (const svc of ['network', 'dnsmasq', 'firewall', 'odhcpd', 'qlink']) {
    writeFileSync(join(initd, svc), `#!/bin/sh\necho "/etc/init.d/${svc} $*" >> ${calls}\n${svc === 'qlink' ? init : ''}\n`, { mode: 0o755 });
  }
  // The scripts' own paths, never this machine's: init scripts and the user database.
  let text = readFileSync(script, 'utf8').replaceAll('/etc/init.d/', `${initd}/`);
  for (const db of ['passwd', 'shadow', 'group']) text = text.replaceAll(`/etc/${db}`, join(dir, db));
  writeFileSync(join(dir, 'script'), text, { mode: 0o755 });
  const r = spawnSync('sh', [join(dir, 'script')], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${FIXTURES}:${process.env.PATH}`, UCI_STATE: join(dir, 'uci'), UCI_LOG: calls, ...env },
  });
  return { dir, status: r.status, stderr: r.stderr, calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
}

t.test('postinst: an upgrade restarts the running agent; a fresh install applies the new network and firewall', async (t) => {
  const pkgScript = join(x86.ctl, 'postinst-pkg');
  const upgrade = runScript(pkgScript, { PKG_UPGRADE: '1' }, '[ "$1" = running ] && exit 0');
  t.equal(upgrade.status, 0);
  t.same(upgrade.calls, ['/etc/init.d/qlink running', '/etc/init.d/qlink restart'], 'procd would keep the old code: an explicit restart');
  const stopped = runScript(pkgScript, { PKG_UPGRADE: '1' }, '[ "$1" = running ] && exit 1');
  t.same(stopped.calls, ['/etc/init.d/qlink running'], 'an agent the owner stopped stays stopped');
  const fresh = runScript(pkgScript, {});
  t.same(
    fresh.calls,
    ['/etc/init.d/network reload', '/etc/init.d/dnsmasq reload', '/etc/init.d/firewall reload'],
    'what the uci-defaults changed is reloaded (default_postinst then enables and starts qlink)',
  );
  const image = runScript(pkgScript, { IPKG_INSTROOT: join(work, 'image') });
  t.same(image.calls, [], 'inside an image root nothing runs');
  const wrapper = readFileSync(join(x86.ctl, 'postinst'), 'utf8');
  t.match(
    wrapper,
    /\. \$\{IPKG_INSTROOT\}\/lib\/functions\.sh\ndefault_postinst \$0 \$@\n$/,
    "postinst is OpenWrt's: default_postinst (user, uci-defaults, postinst-pkg, enable, start)",
  );
  t.match(readFileSync(join(x86.ctl, 'prerm'), 'utf8'), /default_prerm \$0 \$@\n$/, 'prerm: default_prerm stops it (and disables it unless upgrading)');
});

t.test('postrm: the kernel tables, the fw4 include and the captive-portal DHCP options go', async (t) => {
  const postrm = join(x86.ctl, 'postrm');
  const dir = mkdtempSync(join(work, 'postrm-'));
  const state = join(dir, 'uci');
  writeFileSync(
    state,
    [
      'firewall.qlink=include',
      'firewall.qlink.path=/usr/share/qlink/firewall.include',
      'dhcp.guest=dhcp',
      'dhcp.guest.dhcp_option_force=3,10.250.0.1',
      'dhcp.guest.dhcp_option_force=114,https://wifi.example.com:8088/api/captive',
      'dhcp.guest.captive_portal_uri=https://wifi.example.com:8088/api/captive',
      'network.guest=interface',
      '',
    ].join('\n'),
  );
  const users = {
    passwd: 'root:x:0:0:root:/root:/bin/ash\nqlink:x:370:370:qlink:/var/run/qlink:/bin/false\nnobody:*:65534:65534:nobody:/var:/bin/false\n',
    shadow: 'root:::0:99999:7:::\nqlink:x:0:0:99999:7:::\n',
    group: 'root:x:0:\nqlink:x:370:qlink\nnogroup:x:65534:\n',
  };
  const r = runScript(postrm, { UCI_STATE: state }, '', users);
  t.equal(r.status, 0, r.stderr);
  t.same(
    ['passwd', 'shadow', 'group'].map((db) => readFileSync(join(r.dir, db), 'utf8')),
    ['root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n', 'root:::0:99999:7:::\n', 'root:x:0:\nnogroup:x:65534:\n'],
    'the qlink user and group go, nobody else',
  );
  const other = runScript(postrm, { UCI_STATE: state }, '', {
    passwd: 'qlink:x:1000:1000::/home/qlink:/bin/sh\n',
    shadow: 'qlink:x:0:0:99999:7:::\n',
    group: 'qlink:x:1000:\n',
  });
  t.same(
    ['passwd', 'shadow', 'group'].map((db) => readFileSync(join(other.dir, db), 'utf8')),
    ['qlink:x:1000:1000::/home/qlink:/bin/sh\n', 'qlink:x:0:0:99999:7:::\n', 'qlink:x:1000:\n'],
    "a qlink user of another id is not the package's: kept",
  );
  t.same(
    r.calls.filter((c) => c.startsWith('nft delete')),
    ['nft delete table inet qlink', 'nft delete table bridge qlink'],
    'every table named qlink, no other',
  );
  t.ok(r.calls.includes('/etc/init.d/firewall reload') && r.calls.includes('/etc/init.d/dnsmasq reload'));
  t.same(
    readFileSync(state, 'utf8').trim().split('\n'),
    ['dhcp.guest=dhcp', 'dhcp.guest.dhcp_option_force=3,10.250.0.1', 'network.guest=interface'],
    "the include and the captive-portal options gone; the owner's own options and the guest network stay",
  );
  t.same(runScript(postrm, { PKG_UPGRADE: '1' }).calls, [], 'not on upgrade');
});

t.test('the captive-portal URI is announced while the portal has a host name and certificate, and withdrawn when they go', async (t) => {
  const dir = mkdtempSync(join(work, 'dhcp-'));
  const state = join(dir, 'uci');
  const cert = join(dir, 'portal.crt');
  writeFileSync(cert, 'x');
  writeFileSync(state, 'dhcp.guest=dhcp\ndhcp.guest.dhcp_option_force=3,10.250.0.1\n');
  const sync = (pre: string) => {
    const s = join(dir, 'run.sh');
    writeFileSync(s, `${pre}\n${readFileSync(join(FILES, 'qlink.dhcp'), 'utf8')}\nqlink_captive_dhcp guest\n`);
    return runScript(s, { UCI_STATE: state });
  };
  const dhcp = () =>
    readFileSync(state, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('dhcp.guest.'));
  t.same(
    sync('').calls.filter((c) => !c.startsWith('uci')),
    [],
    'no host name: nothing to announce, nothing reloaded',
  );
  const on = sync(`uci set qlink.portal.hostname=wifi.example.com; uci set qlink.portal.cert_file=${cert}; uci set qlink.portal.port=8443`);
  t.same(
    dhcp(),
    [
      'dhcp.guest.dhcp_option_force=3,10.250.0.1',
      'dhcp.guest.dhcp_option_force=114,https://wifi.example.com:8443/api/captive',
      'dhcp.guest.captive_portal_uri=https://wifi.example.com:8443/api/captive',
    ],
    'DHCPv4 option 114 (dnsmasq) and the RA/DHCPv6 option (odhcpd)',
  );
  t.ok(on.calls.includes('/etc/init.d/dnsmasq reload') && on.calls.includes('/etc/init.d/odhcpd reload'));
  t.same(
    sync('').calls.filter((c) => !c.startsWith('uci')),
    [],
    'unchanged: no reload',
  );
  writeFileSync(cert, '');
  const off = sync('');
  t.same(dhcp(), ['dhcp.guest.dhcp_option_force=3,10.250.0.1'], "an empty certificate file withdraws it; the owner's options stay");
  t.ok(off.calls.some((c) => /logger -t qlink captive portal URI withdrawn/.test(c)));
});

/** Sources the real init script with procd/uci stubs that print each call, as OpenWrt's rc.common would call it. */
function runInit(fn: string, uci: Record<string, string>): string[] {
  const stubs = `
config_load() { echo "config_load $1"; }
config_get_bool() { eval "$1=\\\${UCI_$2_$3:-$4}"; case "$(eval echo \\$$1)" in 1|on|true|yes|enabled) eval "$1=1";; *) eval "$1=0";; esac; }
config_get() { eval "$1=\\\${UCI_$2_$3:-$4}"; }
procd_open_instance() { echo "procd_open_instance $*"; }
procd_set_param() { echo "procd_set_param $*"; }
procd_add_jail() { echo "procd_add_jail $*"; }
procd_close_instance() { echo "procd_close_instance"; }
procd_add_reload_trigger() { echo "procd_add_reload_trigger $*"; }
. "$INIT"
qlink_own_files() { echo "qlink_own_files"; }
qlink_captive_dhcp() { echo "qlink_captive_dhcp $*"; }
${fn}
`;
  const init = readFileSync(join(FILES, 'qlink.init'), 'utf8').replace('. /usr/share/qlink/dhcp-captive.sh', ':');
  const initFile = join(work, 'qlink.init');
  writeFileSync(initFile, init);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', INIT: initFile };
  for (const [k, v] of Object.entries(uci)) env[`UCI_${k.replace('.', '_')}`] = v;
  const r = spawnSync('sh', ['-c', stubs], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`init harness failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

t.test('the procd init script: least privilege, measured V8 flags, respawn, syslog, reload by SIGHUP on config change', async (t) => {
  const calls = runInit('start_service', {});
  t.same(calls, [
    'config_load qlink',
    'qlink_own_files',
    'qlink_captive_dhcp guest',
    'procd_open_instance agent',
    'procd_set_param command /usr/bin/node --max-old-space-size=32 --max-semi-space-size=1 --no-opt --disable-warning=ExperimentalWarning /usr/lib/node/qlink-agent/dist/agent/src/main.js --uci /etc/config/qlink',
    'procd_set_param env NODE_ENV=production',
    'procd_add_jail qlink requirejail',
    'procd_set_param user qlink',
    'procd_set_param group qlink',
    'procd_set_param capabilities /etc/capabilities/qlink.json',
    'procd_set_param no_new_privs 1',
    'procd_set_param file /etc/config/qlink',
    'procd_set_param reload_signal HUP',
    'procd_set_param respawn 3600 5 5',
    'procd_set_param stdout 1',
    'procd_set_param stderr 1',
    'procd_set_param term_timeout 15',
    'procd_close_instance',
  ]);
  t.ok(existsSync(join(x86.root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js')), 'the command names a file the package installs');
  t.ok(existsSync(join(x86.root, 'etc/capabilities/qlink.json')), 'and the capabilities file');
  t.same(runInit('service_triggers', {}), ['procd_add_reload_trigger qlink']);
  t.same(runInit('start_service', { 'agent.enabled': '0' }), ['config_load qlink'], 'enabled=0 starts nothing');
  const init = readFileSync(join(FILES, 'qlink.init'), 'utf8');
  t.match(init, /^USE_PROCD=1$/m);
  t.notMatch(init, /^\s*stop_service\s*\(\)|\bnft\b|delete table/m, 'stop leaves the kernel table and counters');
});

t.test('packaging files are shellcheck clean', async (t) => {
  const scripts = [
    'scripts/build-ipk',
    'scripts/lib/stage-agent',
    'scripts/lib/tools',
    'scripts/lib/build-native',
    'scripts/lib/build-addon',
    'scripts/lib/elf-check',
  ];
  const r = spawnSync('shellcheck', ['-x', ...scripts], { encoding: 'utf8', cwd: REPO });
  t.equal(r.status, 0, r.stdout);
  const sh = ['qlink.init', 'qlink.uci-defaults', 'qlink.firewall', 'qlink.dhcp'].map((f) => join(FILES, f));
  // (control/postinst and prerm are OpenWrt's own four lines, as package-pack.mk writes them.)
  const fw = spawnSync('shellcheck', ['-s', 'sh', ...sh, join(x86.ctl, 'postinst-pkg'), join(x86.ctl, 'postrm')], { encoding: 'utf8' });
  t.equal(fw.status, 0, fw.stdout);
});
