import type { CommandRunner } from '../kernel/run.js';
import type { Logger } from '../log.js';
import { parseTcRate } from './rate.js';
import { FIRST_GUEST_MINOR, type ShapedClass, type Shaper, type ShaperInfo } from './shaper.js';
import { parseClasses, renderClass, renderDropClass, renderRoot } from './tc-script.js';

/** Root qdiscs the kernel puts there by itself; anything else (SQM's cake, another HTB) is the owner's and stays. */
const DEFAULT_ROOTS = new Set(['noqueue', 'pfifo_fast', 'fq_codel', 'mq', 'pfifo', 'fq']);

export interface TcShaperOptions {
  lan: string;
  wan: string | null;
  totalDownBps: number | null;
  totalUpBps: number | null;
}

/**
 * HTB on the guest interface's egress (downloads) and the WAN's egress
 * (uploads); every change is one `tc -batch`. The classes it made are kept in
 * memory (ensure() lists the kernel's), so a guest's change costs no listing:
 * `tc class show` of 1,000 classes was most of an auth's time with shaping.
 */
export class TcShaper implements Shaper {
  #leaf = 'pfifo';
  #sides: Array<{ dev: string; dir: 'downBps' | 'upBps'; total: number | null }> = [];
  /** Guest classes each side holds, by device. */
  readonly #have = new Map<string, Set<number>>();

  private constructor(
    private readonly runner: CommandRunner,
    readonly info: ShaperInfo,
  ) {}

  /** Detects the leaf qdisc the kernel has (fq_codel on OpenWrt, pfifo where it is missing) and which roots are free. */
  static async create(runner: CommandRunner, log: Logger, o: TcShaperOptions): Promise<TcShaper> {
    const s = new TcShaper(runner, { leafQdisc: 'pfifo', lanInterface: o.lan, wanInterface: o.wan });
    s.#leaf = (await runner.run(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', 'fffe:', 'fq_codel']).then(
      () => true,
      () => false,
    ))
      ? 'fq_codel'
      : 'pfifo';
    if (s.#leaf === 'fq_codel') await runner.run(['tc', 'qdisc', 'del', 'dev', 'lo', 'root']).catch(() => {});
    s.info.leafQdisc = s.#leaf;
    for (const [dev, dir, total] of [
      [o.lan, 'downBps', o.totalDownBps],
      [o.wan, 'upBps', o.totalUpBps],
    ] as const) {
      if (!dev) continue;
      const root = await s.#rootKind(dev);
      if (root === 'htb 1:' || root === null || DEFAULT_ROOTS.has(root)) s.#sides.push({ dev, dir, total });
      else log.warn({ dev, root }, 'interface has a root qdisc of its own (SQM?): guests are not shaped on it');
    }
    if (!s.#sides.some((x) => x.dir === 'upBps')) s.info.wanInterface = null;
    return s;
  }

  async #rootKind(dev: string): Promise<string | null> {
    const out = await this.runner.run(['tc', 'qdisc', 'show', 'dev', dev, 'root']).catch(() => '');
    const m = /^qdisc (\S+) (\S+)/.exec(out.trim());
    if (!m) return null;
    return m[1] === 'htb' ? `htb ${m[2]}` : m[1]!;
  }

  async #batch(lines: string[]): Promise<void> {
    if (lines.length) await this.runner.run(['tc', '-batch', '-'], lines.join('\n') + '\n');
  }

  async ensure(classes: readonly ShapedClass[]): Promise<void> {
    const lines: string[] = [];
    for (const side of this.#sides) {
      const have = new Map((await this.#list(side.dev)).map((c) => [c.minor, c.bps]));
      if ((await this.#rootKind(side.dev)) !== 'htb 1:' || !have.has(1)) lines.push(...renderRoot(side.dev, side.total, this.#leaf));
      const want = new Map<number, number>();
      for (const c of classes) {
        const bps = c[side.dir] ?? side.total;
        if (bps !== null) want.set(c.minor, bps);
      }
      for (const minor of have.keys()) if (minor >= FIRST_GUEST_MINOR && !want.has(minor)) lines.push(renderDropClass(side.dev, minor));
      for (const [minor, bps] of want) {
        // A class that exists with the same rate is adopted untouched: its queue and counters stay.
        if (have.get(minor) !== bps) lines.push(...renderClass(side.dev, minor, bps, this.#leaf, !have.has(minor)));
      }
      this.#have.set(side.dev, new Set(want.keys()));
    }
    await this.#batch(lines);
  }

  async #list(dev: string) {
    return parseClasses(await this.runner.run(['tc', 'class', 'show', 'dev', dev]).catch(() => ''), parseTcRate);
  }

  async set(c: ShapedClass): Promise<void> {
    const lines: string[] = [];
    for (const side of this.#sides) {
      // Under a total cap every guest needs a class of its own, at most the cap.
      const bps = c[side.dir] ?? side.total;
      const have = this.#classes(side.dev);
      if (bps !== null) lines.push(...renderClass(side.dev, c.minor, bps, this.#leaf, !have.has(c.minor)));
      else if (have.has(c.minor)) lines.push(renderDropClass(side.dev, c.minor));
    }
    try {
      await this.#batch(lines);
    } finally {
      // Kept as asked even when tc failed: a later ensure() (a repair, a restart) lists the kernel's classes again.
      for (const side of this.#sides) {
        const bps = c[side.dir] ?? side.total;
        if (bps !== null) this.#classes(side.dev).add(c.minor);
        else this.#classes(side.dev).delete(c.minor);
      }
    }
  }

  async drop(minor: number): Promise<void> {
    const lines: string[] = [];
    for (const side of this.#sides) if (this.#classes(side.dev).has(minor)) lines.push(renderDropClass(side.dev, minor));
    for (const side of this.#sides) this.#classes(side.dev).delete(minor);
    await this.#batch(lines);
  }

  #classes(dev: string): Set<number> {
    let s = this.#have.get(dev);
    if (!s) this.#have.set(dev, (s = new Set()));
    return s;
  }

  async remove(): Promise<void> {
    for (const side of this.#sides) {
      if ((await this.#rootKind(side.dev)) === 'htb 1:') await this.runner.run(['tc', 'qdisc', 'del', 'dev', side.dev, 'root']).catch(() => {});
    }
  }
}
