import { batchSchema, type UsageRecord } from '../protocol/src/index.js';

/**
 * How large a usage batch can be on the wire (issue 15: "a batch at most a
 * size that fits a day of records"): the largest record the agent can write
 * (every number at its widest, a voucher on it), a batch of the agent's
 * largest (maxRecordsPerBatch 10,000, as the schema allows), and a day of
 * records of one busy router at the default record interval.
 *
 *   node dist/bench/batch-size.js [--json]
 */
const MAX = Number.MAX_SAFE_INTEGER;
const record = (id: number): UsageRecord => ({
  id,
  sessionId: MAX,
  channelId: MAX,
  startMs: MAX,
  endMs: MAX,
  bytesDown: MAX,
  bytesUp: MAX,
  seconds: MAX,
  cost: MAX,
  voucher: { amount: MAX, signature: 'ab'.repeat(64) },
});
const batchOf = (n: number) => ({
  v: 1 as const,
  router: '02' + 'ab'.repeat(32),
  networkMagic: 0xffff_ffff,
  contract: '0x' + 'ab'.repeat(20),
  seq: MAX,
  prev: 'ab'.repeat(32),
  root: 'ab'.repeat(32),
  hash: 'ab'.repeat(32),
  fromMs: MAX,
  toMs: MAX,
  records: Array.from({ length: n }, (_, i) => record(MAX - n + i + 1)),
  signature: 'ab'.repeat(64),
});
const bytes = (n: number) => Buffer.byteLength(JSON.stringify(batchSchema.parse(batchOf(n))));
const perRecord = (bytes(1000) - bytes(0 + 1)) / 999;
const largest = bytes(10_000);
// A day of one router: 64 guests online all day, a record a minute each (agent defaults), in day-long batches.
const day = Math.ceil((64 * 1440) / 10_000);
const out = { bytesPerRecordWorstCase: Math.round(perRecord), largestBatchBytes: largest, routerDayRecords: 64 * 1440, routerDayBatches: day };
if (process.argv.includes('--json')) console.log(JSON.stringify(out));
else {
  console.log(`worst-case record: ${out.bytesPerRecordWorstCase} bytes of JSON`);
  console.log(`largest batch the agent sends (10,000 records): ${largest} bytes (${(largest / 1048576).toFixed(2)} MiB)`);
  console.log(`a day of a busy router (64 guests, a record a minute each): ${out.routerDayRecords} records, ${day} batches of 10,000 at most`);
}
