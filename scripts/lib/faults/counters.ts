import type { SessionCounters } from '../../../agent/src/gate/backend.js';
import { parseSessionCounters } from '../../../agent/src/gate/nft-state.js';
import * as tb from '../testbed/index.js';
import { sleep } from '../testbed/proc.js';

/** One kernel counter object over its life: from its creation (by the agent) to its deletion (session end, or a flush). */
export interface Incarnation {
  sessionId: number;
  dir: 'down' | 'up';
  /** Which ruleset it lived in: 0 until the first flush, then 1, … */
  generation: number;
  handle: number;
  /** The highest value read; counters only grow, so the last read. */
  bytes: number;
  lastReadAt: number;
}

export interface Sample {
  at: number;
  generation: number;
  readings: Map<number, SessionCounters>;
}

const LIST = ['nft', '-j', 'list', 'counters', 'table', 'inet', 'qlink'];

/**
 * The suite's own reading of the router's kernel counters (the agent's
 * `s<id>_dn`/`s<id>_up` objects in `inet qlink`), every few hundred ms,
 * independent of the agent: what "the kernel counted" means in the checks.
 * A counter lives in one ruleset generation; flushing the ruleset (done
 * here, so the last reading before the wipe is taken in the same shell
 * command) starts the next, and a session's kernel total is the sum of its
 * counters' last readings over every generation.
 */
export class KernelCounters {
  readonly incarnations = new Map<string, Incarnation>();
  readonly samples: Sample[] = [];
  /** Readings that went down within one counter: never expected, reported by the checks. */
  readonly oddities: string[] = [];
  #generation = 0;
  #paused = false;
  #stopped = false;
  #current: Promise<unknown> = Promise.resolve();
  #loop: Promise<void> | null = null;

  constructor(
    private readonly id: string,
    private readonly everyMs = 500,
  ) {}

  get generation(): number {
    return this.#generation;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        if (!this.#paused) {
          this.#current = this.sample();
          await this.#current;
        }
        await sleep(this.everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** Waits for a read in progress: nothing of the suite's runs in the router's namespace until resume(). */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#current;
  }

  resume(): void {
    this.#paused = false;
  }

  /** One reading now; false when the table is gone. */
  async sample(): Promise<boolean> {
    const at = Date.now();
    const r = await tb.exec(this.id, 'router', LIST, { timeoutMs: 10_000 });
    if (r.code !== 0) return false;
    this.add(at, parseSessionCounters(r.stdout));
    return true;
  }

  /**
   * `nft flush ruleset` in the router, as an admin or a firewall restart
   * would, preceded in the same shell by one last reading of the counters
   * it wipes. Returns that reading's time.
   */
  async flushRuleset(): Promise<number> {
    await this.pause();
    try {
      const at = Date.now();
      const r = await tb.exec(this.id, 'router', ['bash', '-c', `${LIST.join(' ')} && nft flush ruleset`], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`flush failed: ${r.stderr}`);
      this.add(at, parseSessionCounters(r.stdout));
      this.nextGeneration();
      return at;
    } finally {
      this.resume();
    }
  }

  /** Per session, the sum of its counters' last readings over every generation. */
  totals(): Map<number, { down: number; up: number }> {
    const out = new Map<number, { down: number; up: number }>();
    for (const i of this.incarnations.values()) {
      const t = out.get(i.sessionId) ?? { down: 0, up: 0 };
      t[i.dir] += i.bytes;
      out.set(i.sessionId, t);
    }
    return out;
  }

  /** The last sample of a generation taken at or before `at`. */
  sampleBefore(at: number, generation: number): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.samples) if (s.generation === generation && s.at <= at) best = s;
    return best;
  }

  /** The ruleset was flushed: counters read from now on are new ones, whatever their handles. */
  nextGeneration(): void {
    this.#generation++;
  }

  /** One reading of every session's counters, taken at `at`. */
  add(at: number, readings: Map<number, SessionCounters>): void {
    this.samples.push({ at, generation: this.#generation, readings });
    for (const [sessionId, c] of readings) {
      for (const dir of ['down', 'up'] as const) {
        const r = c[dir];
        if (!r) continue;
        const key = `${this.#generation}:${sessionId}:${dir}:${r.handle}`;
        const seen = this.incarnations.get(key);
        if (seen && r.bytes < seen.bytes) {
          this.oddities.push(`session ${sessionId} ${dir}: counter ${r.handle} went from ${seen.bytes} to ${r.bytes} bytes`);
          continue;
        }
        this.incarnations.set(key, { sessionId, dir, generation: this.#generation, handle: r.handle, bytes: r.bytes, lastReadAt: at });
      }
    }
  }
}
