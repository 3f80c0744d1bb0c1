/**
 * Counters the ingest path bumps and /metrics renders (Prometheus text).
 * Plain maps: a label set is a short string key, so a bump costs a map update.
 */
export class Counters {
  readonly #values = new Map<string, Map<string, number>>();
  readonly #help = new Map<string, string>();

  define(name: string, help: string): void {
    this.#help.set(name, help);
    if (!this.#values.has(name)) this.#values.set(name, new Map());
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    let m = this.#values.get(name);
    if (!m) this.#values.set(name, (m = new Map()));
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    m.set(key, (m.get(key) ?? 0) + by);
  }

  get(name: string, labels: Record<string, string> = {}): number {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    return this.#values.get(name)?.get(key) ?? 0;
  }

  /** Prometheus text exposition of every counter. */
  render(): string {
    const out: string[] = [];
    for (const [name, m] of this.#values) {
      out.push(`# HELP ${name} ${this.#help.get(name) ?? name}`, `# TYPE ${name} counter`);
      if (!m.size) out.push(`${name} 0`);
      for (const [k, v] of m) out.push(k ? `${name}{${k}} ${v}` : `${name} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}

export function ingestCounters(): Counters {
  const c = new Counters();
  c.define('qlink_gateway_batches_total', 'Usage batches received, by result');
  c.define('qlink_gateway_records_stored_total', 'Usage records stored');
  c.define('qlink_gateway_anomalies_total', 'Refused or held batches, and stored batches with refused vouchers, by kind');
  c.define('qlink_gateway_vouchers_refused_total', 'Vouchers in stored records that failed the check at ingest (kept out of settlement)');
  c.define('qlink_gateway_acks_total', 'Batch sequences acked');
  return c;
}
