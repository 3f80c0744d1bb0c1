import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Db, SqlDriver } from '../../agent/src/store/driver.js';

/** What the agent's stores rely on from a SQLite driver (agent/src/store/driver.ts). */
export function sqlDriverSuite(t: Test, driver: SqlDriver): void {
  const memory = (t: Test): Db => {
    const db = driver.open(':memory:');
    t.teardown(() => db.close());
    db.exec('CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, v INTEGER)');
    return db;
  };

  t.test('exec runs several statements; run reports the rows changed and the rowid inserted', async (t) => {
    const db = memory(t);
    db.exec("INSERT INTO kv (k, v) VALUES ('a', 1); INSERT INTO kv (k, v) VALUES ('b', 2)");
    const ins = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    const r = ins.run('c', 3);
    t.same([r.changes, Number(r.lastInsertRowid)], [1, 3]);
    t.equal(typeof r.changes, 'number');
    t.equal(db.prepare('UPDATE kv SET v = v + 1 WHERE v >= ?').run(2).changes, 2);
    t.equal(db.prepare("DELETE FROM kv WHERE k = 'nobody'").run().changes, 0);
  });

  t.test('get gives the first row or undefined; all every row, as objects keyed by column', async (t) => {
    const db = memory(t);
    db.exec("INSERT INTO kv (k, v) VALUES ('a', 1), ('b', NULL)");
    const rows = db.prepare<[], { k: string; v: number | null }>('SELECT k, v FROM kv ORDER BY k').all();
    t.same(
      rows.map((r) => ({ ...r })),
      [
        { k: 'a', v: 1 },
        { k: 'b', v: null },
      ],
    );
    t.same({ ...db.prepare<[string], { v: number }>('SELECT v FROM kv WHERE k = ?').get('a') }, { v: 1 });
    t.equal(db.prepare('SELECT v FROM kv WHERE k = ?').get('z'), undefined);
    t.same(db.prepare('SELECT v FROM kv WHERE k = ?').all('z'), []);
  });

  t.test("prepareTuples: rows as arrays of their columns in the SELECT's order", async (t) => {
    const db = memory(t);
    db.exec("INSERT INTO kv (k, v) VALUES ('a', 1), ('b', NULL)");
    t.same(db.prepareTuples<[], [number | null, string]>('SELECT v, k FROM kv ORDER BY k').all(), [
      [1, 'a'],
      [null, 'b'],
    ]);
    t.same(db.prepareTuples<[string], [string]>('SELECT k FROM kv WHERE k = ?').get('b'), ['b']);
  });

  t.test('integers are read as numbers; a bigint binds as an exact 64-bit integer', async (t) => {
    const db = memory(t);
    const r = db.prepare<[], { n: number }>('SELECT 9007199254740991 AS n').get()!;
    t.equal(r.n, Number.MAX_SAFE_INTEGER);
    const max = 2n ** 63n - 1n;
    t.same(
      { ...db.prepare<[bigint, bigint], { t: string; ty: string }>('SELECT CAST(? AS TEXT) AS t, typeof(?) AS ty').get(max, max) },
      { t: '9223372036854775807', ty: 'integer' },
    );
    t.equal(db.prepare<[bigint, bigint], { s: string }>('SELECT CAST(? - ? AS TEXT) AS s').get(max, max - 1n)!.s, '1', 'arithmetic on them stays exact');
  });

  t.test('named parameters from one object: @name in the SQL, { name } here', async (t) => {
    const db = memory(t);
    db.prepare<[Record<string, string | number>]>('INSERT INTO kv (k, v) VALUES (@key, @value)').run({ key: 'x', value: 42 });
    t.equal(db.prepare<[Record<string, string>], { v: number }>('SELECT v FROM kv WHERE k = @key').get({ key: 'x' })?.v, 42);
  });

  t.test('transaction: committed when fn returns, with its value; rolled back when it throws, the error thrown on', async (t) => {
    const db = memory(t);
    const ins = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    t.equal(
      db.transaction(() => {
        ins.run('a', 1);
        ins.run('b', 2);
        return 'done';
      }),
      'done',
    );
    t.throws(
      () =>
        db.transaction(() => {
          ins.run('c', 3);
          throw new Error('boom');
        }),
      /boom/,
    );
    t.throws(
      () =>
        db.transaction(() => {
          ins.run('d', 4);
          ins.run('a', 5);
        }),
      /UNIQUE/,
      'a failing statement rolls back the ones before it',
    );
    t.same(
      db
        .prepare<[], { k: string }>('SELECT k FROM kv ORDER BY k')
        .all()
        .map((r) => r.k),
      ['a', 'b'],
    );
  });

  t.test('a transaction inside another is a savepoint: its throw undoes only its own writes', async (t) => {
    const db = memory(t);
    const ins = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    db.transaction(() => {
      ins.run('outer', 1);
      try {
        db.transaction(() => {
          ins.run('inner', 2);
          throw new Error('inner');
        });
      } catch {
        /* the outer one carries on */
      }
      ins.run('after', 3);
    });
    t.same(
      db
        .prepare<[], { k: string }>('SELECT k FROM kv ORDER BY id')
        .all()
        .map((r) => r.k),
      ['outer', 'after'],
    );
  });

  t.test('a file keeps what was committed, across close and open; PRAGMAs through exec and prepare', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'qlink-driver-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'x.db');
    const a = driver.open(path);
    a.exec('PRAGMA journal_mode = WAL');
    a.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (7); PRAGMA user_version = 5');
    const b = driver.open(path);
    t.equal(b.prepare<[], { n: number }>('SELECT n FROM t').get()?.n, 7, 'a second connection sees what the first committed');
    b.close();
    a.close();
    const c = driver.open(path);
    t.teardown(() => c.close());
    t.equal(c.prepare<[], { user_version: number }>('PRAGMA user_version').get()?.user_version, 5);
    t.equal(c.prepare<[], { journal_mode: string }>('PRAGMA journal_mode').get()?.journal_mode, 'wal', 'WAL stays with the file');
    t.equal(c.prepare<[], { n: number }>('SELECT n FROM t').get()?.n, 7);
  });
}
