// Records cut, signed into batches and stored per second (issue 4 goal: >= 10,000/s).
// Run: npx tsc -p tsconfig.json && node dist/bench/usage-throughput.js [records] [perBatch]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { openStore } from '../agent/src/store/db.js';
import { UsageBatcher } from '../agent/src/usage/batcher.js';

const total = Number(process.argv[2] ?? 100_000);
const perBatch = Number(process.argv[3] ?? 1_000);
const dir = mkdtempSync(join(tmpdir(), 'qlink-bench-'));
const db = openStore(dir);
const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
const batcher = new UsageBatcher(db, identity, { networkMagic: 860833102, contract: '0x' + '11'.repeat(20) });
const insert = db.prepare(`INSERT INTO usage_records (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost)
  VALUES (?, NULL, ?, ?, ?, ?, 60, 0)`);

const t0 = performance.now();
db.transaction(() => {
  for (let i = 0; i < total; i++) insert.run(1 + (i % 500), i * 1000, i * 1000 + 60_000, 123_456 + i, 7_890 + i);
});
const t1 = performance.now();
const batches = batcher.sealAll(Date.now(), perBatch);
const t2 = performance.now();
const wire = (db.prepare('SELECT avg(length(payload)) AS n FROM usage_outbox').get() as { n: number }).n;
console.log(
  JSON.stringify({
    records: total,
    perBatch,
    batches,
    storeRecordsPerS: Math.round(total / ((t1 - t0) / 1000)),
    sealRecordsPerS: Math.round(total / ((t2 - t1) / 1000)),
    endToEndRecordsPerS: Math.round(total / ((t2 - t0) / 1000)),
    wireBytesPer1000Records: Math.round((wire / perBatch) * 1000),
  }),
);
db.close();
rmSync(dir, { recursive: true, force: true });
