import { percentile } from './lib.js';
import type { Tally } from './fleet-router.js';

export interface PhaseResult {
  name: string;
  routers: number;
  /** cpu: % of one core from the first batch sealed to the last ack (or the end of the drain); cpuMs: the same as CPU time. */
  gateways: { name: string; cpu: number; cpuMs: number; peakRssMb: number }[];
  brokerCpu: number;
  chainCpu: number;
  postgresCpu: number | null;
  generatorCpu: number;
  /** The load generator's own event-loop delay, p99 ms: latency it adds to every figure. */
  generatorLagP99: number;
  connectMs: number;
  /** The machine's load average when the run ended: how much else wanted the cores. */
  loadAfter: number[];
  warmUp: { ms: number; tally: Tally };
  sealed: number;
  missing: number;
  ms: number;
  tally: Tally;
  /** mosquitto's "Outgoing messages are being dropped for client …" lines: a gateway fell behind by more than max_queued_messages. */
  brokerDrops: number;
  offeredPerS: number;
  stored: { batches: number; records: number; problems: string[]; resolvedGaps: number };
}

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export function latencyLine(latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  if (!s.length) return 'no acks';
  return `p50 ${n(percentile(s, 50), 1)} / p95 ${n(percentile(s, 95), 1)} / p99 ${n(percentile(s, 99), 1)} / max ${n(s[s.length - 1]!, 1)} ms`;
}

/** Gateway CPU time per stored batch, all gateways together: the cost figure least moved by what else runs. */
export const cpuMsPerBatch = (r: PhaseResult) => r.gateways.reduce((k, g) => k + g.cpuMs, 0) / Math.max(1, r.tally.acked);

export const errorCount = (r: PhaseResult) => r.missing + r.tally.publishErrors + r.tally.strayAcks + r.stored.problems.length;

export function printPhase(r: PhaseResult, log: (s: string) => void): void {
  const t = r.tally;
  const s = r.ms / 1000;
  log(`== ${r.name} (load average after: ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')})`);
  log(
    `  connect ${r.routers} routers ${n(r.connectMs)} ms; first batch of each acked (chain look-up included) in ${n(r.warmUp.ms)} ms, ` +
      `${latencyLine(r.warmUp.tally.latencies)}, ${r.warmUp.tally.resent} resent`,
  );
  log(`  offered  ${n(r.offeredPerS, 1)} batches/s; sealed ${n(r.sealed)}, acked ${n(t.acked)} in ${n(s, 1)} s`);
  log(`  stored   ${n(t.acked / s, 1)} batches/s, ${n(t.recordsAcked / s)} records/s`);
  log(`  ack latency ${latencyLine(t.latencies)}`);
  for (const g of r.gateways) log(`  gateway ${g.name}  CPU ${n(g.cpu)} % of one core, RSS peak ${n(g.peakRssMb)} MB`);
  log(`  gateway CPU per batch ${n(cpuMsPerBatch(r), 2)} ms (one core's worth: ${n(1000 / cpuMsPerBatch(r))} batches/s)`);
  log(
    `  broker CPU ${n(r.brokerCpu)} %, chain (neo-go) ${n(r.chainCpu)} %${r.postgresCpu === null ? '' : `, PostgreSQL ${n(r.postgresCpu)} %`}, ` +
      `load generator ${n(r.generatorCpu)} % (event-loop delay p99 ${n(r.generatorLagP99, 1)} ms)`,
  );
  log(`  errors   ${r.missing} missing acks, ${t.publishErrors} publish errors, ${t.strayAcks} stray acks; ${t.duplicateAcks} duplicate acks`);
  if (r.brokerDrops)
    log(`  the broker dropped messages for a gateway that fell behind (${r.brokerDrops}× in its log); routers would send them again after resendMs`);
  const ok = r.stored.problems.length === 0;
  log(
    `  store    ${n(r.stored.batches)} batches, ${n(r.stored.records)} records: ${ok ? 'every batch stored exactly once' : 'NOT exactly once'}` +
      (r.stored.resolvedGaps ? ` (${r.stored.resolvedGaps} out-of-order arrivals held, then stored)` : ''),
  );
  for (const p of r.stored.problems) log(`    ${p}`);
}

/** One markdown row a phase, as the README's table has them. */
export function tableRow(r: PhaseResult): string {
  const s = r.ms / 1000;
  const cpu = r.gateways.map((g) => n(g.cpu)).join(' + ');
  const rss = r.gateways.map((g) => n(g.peakRssMb)).join(' / ');
  const lat = [...r.tally.latencies].sort((a, b) => a - b);
  const p = (q: number) => n(percentile(lat, q), 0);
  return (
    `| ${r.name} | ${n(r.tally.acked / s)} / ${n(r.tally.recordsAcked / s)} | ${p(50)} / ${p(95)} / ${p(99)} / ${n(lat[lat.length - 1] ?? NaN, 0)} ` +
    `| ${cpu} % (${n(cpuMsPerBatch(r), 2)} ms/batch) | ${rss} MB | ${n(r.brokerCpu)} % | ${r.postgresCpu === null ? '—' : n(r.postgresCpu) + ' %'} | ${n(r.generatorCpu)} % | ${errorCount(r)} |`
  );
}

export const tableHead =
  '| gateways | batches/s / records/s stored | ack ms p50 / p95 / p99 / max | gateway CPU | gateway RSS peak | broker CPU | PostgreSQL CPU | load generator CPU | errors |\n' +
  '|---|--:|--:|--:|--:|--:|--:|--:|--:|';
