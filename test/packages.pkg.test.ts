import t from 'tap';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

// What each package may see of the repository (its tsconfig.json decides what
// it compiles; tsc follows imports, so an import across a line shows here).
const ROOT = process.cwd();
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const ALLOWED: Record<string, RegExp> = {
  protocol: /^protocol\/(src\/(?!node\/)|globals\.d\.ts$)/,
  chain: /^(chain|protocol)\/src\//,
  agent: /^(agent\/src\/|protocol\/src\/|chain\/src\/(reader|json-rpc|plan-script)\.ts$)/,
  gateway: /^(gateway|chain|protocol)\/src\//,
  'captive-portal': /^(captive-portal\/src\/|protocol\/src\/(?!node\/))/,
};

function filesOf(pkg: string): string[] {
  const out = execFileSync(process.execPath, [TSC, '-p', `${pkg}/tsconfig.json`, '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((f) => f && !f.includes('/node_modules/'))
    .map((f) => relative(ROOT, f));
}

for (const [pkg, allowed] of Object.entries(ALLOWED)) {
  t.test(`${pkg} imports only what it may`, async (t) => {
    const files = filesOf(pkg);
    t.ok(files.length > 0, 'compiles something');
    t.same(
      files.filter((f) => !allowed.test(f)),
      [],
      `every file within ${allowed}`,
    );
  });
}

t.test('the agent compiles alone, with only the npm packages a router ships (agent/package.json)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-agent-alone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const p of [
    'agent/src',
    'agent/tsconfig.json',
    'agent/package.json',
    'protocol/src',
    'chain/src/reader.ts',
    'chain/src/json-rpc.ts',
    'chain/src/plan-script.ts',
    'tsconfig.base.json',
    'package.json',
  ]) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  // node_modules: the router's runtime packages and what they need, plus the compiler and node's types.
  const router = Object.keys(JSON.parse(readFileSync('agent/package.json', 'utf8')).dependencies as Record<string, string>);
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string> }> };
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name) || !lock.packages[`node_modules/${name}`]) return;
    wanted.add(name);
    for (const d of Object.keys(lock.packages[`node_modules/${name}`]!.dependencies ?? {})) add(d);
  };
  for (const n of [...router, 'typescript', '@types/node', '@types/better-sqlite3']) add(n);
  for (const n of wanted) {
    mkdirSync(dirname(join(dir, 'node_modules', n)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', n), join(dir, 'node_modules', n));
  }
  t.notOk(wanted.has('@cityofzion/neon-js') || wanted.has('pg'), 'neither neon-js nor pg is among them');
  const r = (() => {
    try {
      return {
        code: 0,
        out: execFileSync(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'agent/tsconfig.json'], { cwd: dir, encoding: 'utf8' }),
      };
    } catch (e) {
      return { code: 1, out: String((e as { stdout?: string }).stdout ?? e) };
    }
  })();
  t.equal(r.code, 0, `tsc -p agent/tsconfig.json in a tree of agent/, protocol/ and chain's reader: ${r.out.slice(0, 2000)}`);
});
