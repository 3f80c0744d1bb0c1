import type { ApiDeps } from './routes.js';

const gauge = (name: string, help: string, value: number) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`;

/** Prometheus text: the ingest counters, then gauges read from the store and the status book at scrape time. */
export async function renderMetrics(d: ApiDeps): Promise<string> {
  const t = await d.stores.reports.totals();
  return (
    d.counters.render() +
    gauge('qlink_gateway_stored_batches', 'Batches in the store', t.batches) +
    gauge('qlink_gateway_stored_records', 'Usage records in the store', t.records) +
    gauge('qlink_gateway_open_anomalies', 'Held or reported anomalies not resolved', t.anomalies) +
    gauge('qlink_gateway_pending_transactions', 'Chain transactions sent or about to be, not yet settled', t.pendingTxs) +
    gauge('qlink_gateway_routers_online', 'Routers whose retained status says online', d.statuses.online) +
    gauge('qlink_gateway_process_resident_bytes', 'Resident memory of this gateway process', process.memoryUsage.rss())
  );
}
