import type { IngestStore, ReportStore } from '../gateway/src/store/store.js';
import type { SimRouter } from '../test/gateway-sim.js';

/**
 * Every batch the fleet sealed is in the store exactly once. The store keeps
 * one row per (router, seq) and stores a batch only when its prev is the hash
 * of the stored seq - 1, so a router whose head is its own newest (seq, hash)
 * holds its whole chain; the totals then leave no room for an extra row.
 * Returns the problems found (none: all held).
 */
export async function checkExactlyOnce(
  store: { ingest: IngestStore; reports: ReportStore },
  routers: SimRouter[],
): Promise<{ problems: string[]; batches: number; records: number }> {
  const problems: string[] = [];
  let batches = 0;
  let records = 0;
  for (const r of routers) {
    batches += r.seq;
    records += r.nextRecord - 1;
    const head = await store.ingest.head(r.address);
    if (head?.seq !== r.seq || head.hash !== r.prev || head.lastRecord !== r.nextRecord - 1) {
      problems.push(`router ${r.address}: head ${JSON.stringify(head)}, sent up to seq ${r.seq}`);
    }
  }
  const t = await store.reports.totals();
  if (t.batches !== batches) problems.push(`${t.batches} batches stored, ${batches} sent`);
  if (t.records !== records) problems.push(`${t.records} records stored, ${records} sent`);
  const open = [...(await store.reports.anomalies({ status: 'held' })), ...(await store.reports.anomalies({ status: 'reported' }))];
  for (const a of open.slice(0, 5)) problems.push(`anomaly ${a.kind} ${a.status} at ${a.router} seq ${a.seq}: ${a.detail}`);
  if (open.length > 5) problems.push(`… ${open.length - 5} more anomalies`);
  return { problems, batches, records };
}
