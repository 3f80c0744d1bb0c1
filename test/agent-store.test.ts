import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { betterSqlite3 } from '../agent/src/store/better-sqlite3.js';
import { chooseSqlDriver } from '../agent/src/store/choose-driver.js';
import type { SqlDriver } from '../agent/src/store/driver.js';
import { nodeSqlite, nodeSqliteModule } from '../agent/src/store/node-sqlite.js';
import { agentStoreSuites } from './suites/agent-stores.js';

// Each SQLite driver the agent can run on, where this node has it. QLINK_STORE_DRIVERS
// narrows the list (the re-run under node 22 below sets it).
const ALL: SqlDriver[] = [betterSqlite3, ...(nodeSqliteModule() ? [nodeSqlite] : [])];
const only = process.env.QLINK_STORE_DRIVERS?.split(',');
const DRIVERS = only ? ALL.filter((d) => only.includes(d.name)) : ALL;

for (const driver of DRIVERS) t.test(driver.name, async (t) => agentStoreSuites(t, driver));

t.test('the driver is chosen by what the runtime has, with a reason', async (t) => {
  t.equal(chooseSqlDriver({}, true).driver, nodeSqlite);
  t.match(chooseSqlDriver({}, true).reason, /has node:sqlite built in/);
  t.equal(chooseSqlDriver({}, false).driver, betterSqlite3);
  t.match(chooseSqlDriver({}, false).reason, /no node:sqlite; the better-sqlite3 addon/);
  t.equal(chooseSqlDriver({ QLINK_SQLITE: 'better-sqlite3' }, true).driver, betterSqlite3, 'an override wins');
  t.throws(() => chooseSqlDriver({ QLINK_SQLITE: 'node:sqlite' }, false), /has no node:sqlite/);
  t.throws(() => chooseSqlDriver({ QLINK_SQLITE: 'sqlite4' }, true), /expected one of/);
});

// The project's node is 20 (OpenWrt 24.10's): node:sqlite's half of the suite
// runs under node 22 from PyPI (scripts/lib/tools node22, installed by
// scripts/lib/install-deps), this same file with only that driver.
if (!nodeSqliteModule() && !only) {
  t.test('node:sqlite, under node 22', async (t) => {
    const tools = spawnSync(fileURLToPath(new URL('../../scripts/lib/tools', import.meta.url)), ['env', 'node22'], { encoding: 'utf8' });
    const node22 = /^NODE22=(.+)$/m.exec(tools.stdout)?.[1];
    if (!node22 || !existsSync(node22)) {
      t.fail(`no node 22 (scripts/lib/tools env node22): ${tools.stderr}`);
      return;
    }
    const r = spawnSync(node22, ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url)], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', QLINK_STORE_DRIVERS: 'node:sqlite' },
      timeout: 300_000,
    });
    const summary = r.stdout.split('\n').filter((l) => /^# (pass|fail)|^not ok/.test(l));
    t.equal(r.status, 0, `node 22 ran the suite on node:sqlite: ${summary.join('; ')}\n${r.stderr.slice(-2000)}`);
    t.match(r.stdout, /^ok \d+ - node:sqlite/m, 'its node:sqlite test passed');
  });
}
