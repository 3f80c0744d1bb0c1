import type { Logger } from '../log.js';
import type { MqttLink } from '../uplink/link.js';
import { sampleProc, type InterfaceBytes, type ProcSample } from './proc.js';
import { type Status, statusSchema } from '../../../protocol/src/index.js';

export interface StatusSources {
  counts(): Promise<{ guests: number; sessions: number }>;
  outbox(): number;
  /** The gate's drop counters for spoofed sources, as of its last poll; null before the first. */
  spoofed?(): { v4: number; v6: number; arp: number } | null;
  /** Interfaces to report; all but loopback when not given. */
  interfaces?: readonly string[];
  sample?: () => Promise<ProcSample>;
}

/** Publishes status on connect (so "online" replaces the will at once) and every statusIntervalMs. */
export class StatusReporter {
  #timer: NodeJS.Timeout | undefined;
  #prev: { at: number; ifs: Map<string, InterfaceBytes> } | undefined;

  constructor(
    private readonly link: MqttLink,
    private readonly src: StatusSources,
    private readonly log: Logger,
    private readonly startedAt = Date.now(),
    private readonly clock: () => number = Date.now,
  ) {
    link.onConnect(() => void this.publish());
  }

  start(): void {
    this.#timer = setInterval(() => void this.publish(), this.link.config.statusIntervalMs);
  }

  async build(): Promise<Status> {
    const s = await (this.src.sample ?? sampleProc)();
    const now = this.clock();
    const { guests, sessions } = await this.src.counts();
    const spoofed = this.src.spoofed?.() ?? null;
    const prev = this.#prev;
    this.#prev = { at: now, ifs: s.interfaces };
    const secs = prev ? Math.max(0.001, (now - prev.at) / 1000) : 0;
    const interfaces: Status['interfaces'] = {};
    for (const [name, c] of s.interfaces) {
      if (this.src.interfaces ? !this.src.interfaces.includes(name) : name === 'lo') continue;
      const p = prev?.ifs.get(name);
      const bps = (a: number, b: number | undefined) => (p && secs && a >= b! ? Math.round((a - b!) / secs) : 0);
      interfaces[name] = { ...c, rxBps: bps(c.rxBytes, p?.rxBytes), txBps: bps(c.txBytes, p?.txBytes) };
    }
    return statusSchema.parse({
      v: 1,
      router: this.link.routerId,
      online: true,
      at: now,
      uptimeSeconds: s.uptimeSeconds,
      agentUptimeSeconds: Math.floor((now - this.startedAt) / 1000),
      load: s.load,
      memory: s.memory,
      interfaces,
      guests,
      sessions,
      outbox: this.src.outbox(),
      ...(spoofed ? { spoofed } : {}),
    });
  }

  async publish(): Promise<void> {
    if (!this.link.connected) return;
    try {
      const status = await this.build();
      this.link.publish(this.link.topics.status, JSON.stringify(status), { qos: 1, retain: true });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'status not published');
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
