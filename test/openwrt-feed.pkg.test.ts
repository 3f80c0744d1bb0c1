import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

// The feed Makefile's own compile and install steps, run outside an SDK: a
// stand-in TOPDIR (test/fixtures/openwrt/sdk) gives the few variables and the
// BuildPackage macro it uses, with this machine's cc and node as the
// "target". What it stages must be build-ipk's tree, portal included; only
// the native files differ (this machine's compiler here, musl there).
const REPO = new URL('../..', import.meta.url).pathname;
const FEED = join(REPO, 'openwrt/qlink-agent');
const work = mkdtempSync(join(tmpdir(), 'qlink-feed-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const tools = execFileSync(join(REPO, 'scripts/lib/tools'), ['env', 'node20'], { encoding: 'utf8' });
const headers = /^NODE20_HEADERS=(.+)$/m.exec(tools)![1]!;

// The SDK stages the target's node headers under $(STAGING_DIR)/usr/include/node.
const staging = join(work, 'staging');
mkdirSync(join(staging, 'usr/include'), { recursive: true });
symlinkSync(join(headers, 'include/node'), join(staging, 'usr/include/node'));
// The compiler behind ccache (install-deps installs it; the cache in ~/.cache/qlink-agent/ccache): the
// Makefile's steps all run, and a rerun compiles SQLite again only when its source or flags change.
// The base dir makes the paths under this run's random work directory relative, so they hash alike.
const ccache = {
  CC: 'ccache cc',
  CXX: 'ccache c++',
  CCACHE_DIR: join(homedir(), '.cache/qlink-agent/ccache'),
  CCACHE_BASEDIR: work,
  CCACHE_NOHASHDIR: '1',
};
const make = (targets: string[], extra: string[] = []) =>
  spawnSync(
    'make',
    [
      '-C',
      FEED,
      `TOPDIR=${join(REPO, 'test/fixtures/openwrt/sdk')}`,
      `PKG_BUILD_DIR=${join(work, 'build')}`,
      `STAGING_DIR=${staging}`,
      `TMP_DIR=${join(work, 'tmp')}`,
      ...extra,
      ...targets,
    ],
    { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 << 20, env: { ...process.env, ...ccache } },
  );

function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(root, { recursive: true }).map(String).sort()) {
    const p = join(root, f);
    const st = lstatSync(p);
    if (st.isDirectory()) continue;
    const mode = (st.mode & 0o777).toString(8);
    out.set(
      f,
      st.isSymbolicLink()
        ? `-> ${readlinkSync(p)}`
        : readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF'
          ? `ELF ${mode}`
          : `${mode} ${readFileSync(p).toString('base64')}`,
    );
  }
  return out;
}

t.test('the feed Makefile compiles and installs the tree build-ipk ships', async (t) => {
  const compile = make(['compile']);
  t.equal(compile.status, 0, `compile: ${compile.stdout.slice(-3000)}${compile.stderr.slice(-3000)}`);
  if (compile.status !== 0) return;
  const dest = join(work, 'dest');
  mkdirSync(dest);
  const install = make(['install'], [`DEST=${dest}`]);
  t.equal(install.status, 0, `install: ${install.stderr.slice(-2000)}`);
  t.notMatch(compile.stdout + compile.stderr, /gateway\/src/, 'nothing is compiled from gateway/');

  const ipk = execFileSync(join(REPO, 'scripts/build-ipk'), ['--arch', 'x86_64', '--out', join(work, 'ipk')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const root = join(work, 'root');
  mkdirSync(join(work, 'pkg'));
  mkdirSync(root);
  execFileSync('tar', ['-xzf', ipk, '-C', join(work, 'pkg')]);
  execFileSync('tar', ['-xzf', join(work, 'pkg/data.tar.gz'), '-C', root]);
  const feed = tree(dest);
  const ours = tree(root);
  t.same([...feed.keys()], [...ours.keys()], 'the same files');
  const differ = [...feed.keys()].filter((k) => feed.get(k) !== ours.get(k));
  t.same(differ, [], 'with the same modes and bytes (native files: the same modes)');
  t.ok(feed.has('usr/lib/node/qlink-agent/dist/captive-portal/portal.html'), 'the portal page is built and installed');
  t.equal([...feed.keys()].filter((k) => k.includes('/node_modules/@cityofzion') || k.includes('/node_modules/pg/')).length, 0, 'no neon-js, no pg');
  t.same(
    [...feed.entries()]
      .filter(([, v]) => v.startsWith('ELF'))
      .map(([k]) => k)
      .sort(),
    [
      'usr/lib/node/qlink-agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'usr/libexec/qlink/qlink-counters',
      'usr/libexec/qlink/qlink-writer',
    ],
    'the native files it built',
  );

  // The maintainer scripts as the SDK would expand them, against what build-ipk extracts.
  const scripts = join(work, 'scripts');
  mkdirSync(scripts);
  t.equal(make(['scripts'], [`DEST=${scripts}`]).status, 0);
  const ctl = join(work, 'ctl');
  mkdirSync(ctl);
  execFileSync('tar', ['-xzf', join(work, 'pkg/control.tar.gz'), '-C', ctl]);
  for (const s of ['postinst-pkg', 'postrm'])
    t.equal(readFileSync(join(scripts, s), 'utf8').trimEnd(), readFileSync(join(ctl, s), 'utf8').trimEnd(), `${s} is the Makefile's, as make expands it`);
  const fields = readFileSync(join(scripts, 'fields'), 'utf8');
  t.match(fields, /DEPENDS=@HAS_FPU .*\+node \+ip-full \+procd-ujail/, 'DEPENDS asks for an FPU, ip-full (ip -j) and ujail');
  t.match(fields, /USERID=qlink=370:qlink=370/);
});
