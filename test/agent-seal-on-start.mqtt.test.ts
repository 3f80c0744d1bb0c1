import t from 'tap';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../agent/src/config/schema.js';
import { startAgent } from '../agent/src/daemon.js';
import { createLogger } from '../agent/src/log.js';
import { openStore } from '../agent/src/store/db.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { UsageRecorder } from '../agent/src/usage/recorder.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { freePort } from './helpers/mosquitto.js';

// Records a killed agent cut but never sealed go out as soon as it is back,
// not a batch interval later: an agent that restarts more often than
// usage.batchIntervalMs (a crash loop, the fault suite's kill -9 series)
// would otherwise never batch them at all.
const dir = mkdtempSync(join(tmpdir(), 'qlink-seal-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('records left unsealed by a killed agent are sealed when it starts', async (t) => {
  const db = openStore(dir);
  const sessions = new SessionStore(db, new UsageRecorder(db, { intervalMs: 1_000 }));
  const now = Date.now();
  const s = sessions.start('02:00:00:00:00:01', { endsAt: null, quotaBytes: null }, now - 5_000);
  sessions.applyReadings(new Map([[s.id, { down: { handle: 1, bytes: 4_000, packets: 4 }, up: { handle: 2, bytes: 400, packets: 4 } }]]), now);
  const unsealed = (d: { prepare(sql: string): { get(): unknown } }) =>
    (d.prepare('SELECT count(*) AS n FROM usage_records WHERE batch_seq IS NULL').get() as { n: number }).n;
  t.equal(unsealed(db), 1, 'the killed agent cut one record and sealed nothing');
  db.close();

  const config = parseConfig({
    dataDir: dir,
    controlSocket: join(dir, 'qlink.sock'),
    leasesFile: join(dir, 'leases'),
    guestInterface: 'lo',
    pollIntervalMs: 60_000,
    shaping: { enabled: false },
    portal: { port: await freePort() },
    chain: { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' },
    usage: { recordIntervalMs: 1_000, batchIntervalMs: 3_600_000 },
  });
  const agent = await startAgent(config, new MemoryGate(), createLogger('silent'));
  const look = new Database(join(dir, 'qlink.db'), { readonly: true });
  try {
    t.equal(unsealed(look), 0, 'nothing left unsealed right after the start, an hour before the first interval');
    t.equal((look.prepare('SELECT count(*) AS n FROM usage_batches').get() as { n: number }).n, 1, 'one batch, waiting in the outbox');
  } finally {
    look.close();
    await agent.stop();
  }
});
