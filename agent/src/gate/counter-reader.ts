import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommandError, type CommandRunner } from '../kernel/run.js';
import type { CounterReading, SessionCounters } from './backend.js';
import { INET, parseCounterName, READING_KEY, TABLE } from './nft-names.js';
import { parseSessionCounters } from './nft-state.js';

/** How the native reader says "the table does not exist" (agent/native/qlink-counters.c). */
export const NATIVE_EXIT_GONE = 3;

/** Where a router's package installs the reader; checked before the build in the source tree. */
export const INSTALLED_NATIVE_READER = '/usr/libexec/qlink/qlink-counters';
/** `make -C agent/native` puts it here; this file runs from dist/agent/src/gate/. */
export const TREE_NATIVE_READER = fileURLToPath(new URL('../../../../agent/native/build/qlink-counters', import.meta.url));

/** Reads every session's counters of the gate in one kernel call. */
export interface CounterReader {
  readonly kind: 'native' | 'nft';
  /** Null when the gate's table is gone from the kernel. `changes`: only counters that moved since the last reading, where the reader can tell. */
  read(opts?: { changes?: boolean }): Promise<Map<number, SessionCounters> | null>;
  /** The gate's own counters (not a session's) by name, in bytes and packets, as of the last read. */
  readonly others: ReadonlyMap<string, CounterReading>;
}

const DECIMAL = /^\d+$/;

/**
 * Parses the native reader's `<name> <handle> <packets> <bytes>` lines.
 * A malformed line throws: a reader of another version must not meter wrongly in silence.
 */
export function parseNativeCounters(text: string, others?: Map<string, CounterReading>): Map<number, SessionCounters> {
  const out = new Map<number, SessionCounters>();
  others?.clear();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const [name, handle, packets, bytes] = f;
    if (f.length !== 4 || !name || !DECIMAL.test(handle ?? '') || !DECIMAL.test(packets ?? '') || !DECIMAL.test(bytes ?? '')) {
      throw new Error(`native counter reader: malformed line ${JSON.stringify(line.slice(0, 120))}`);
    }
    const reading: CounterReading = { handle: Number(handle), bytes: Number(bytes), packets: Number(packets) };
    const parsed = parseCounterName(name);
    if (!parsed) {
      others?.set(name, reading);
      continue;
    } // not a session's: the gate's own, or someone else's

    const entry = out.get(parsed.sessionId) ?? {};
    entry[READING_KEY[parsed.dir]] = reading;
    out.set(parsed.sessionId, entry);
  }
  return out;
}

const nftMissing = (e: unknown): boolean => e instanceof CommandError && /No such file or directory/.test(e.stderr);

/** `nft -j list counters`: always there, but nft builds its whole cache first (~20 µs per object). */
export class NftCounterReader implements CounterReader {
  readonly kind = 'nft' as const;
  readonly others = new Map<string, CounterReading>();
  constructor(private readonly runner: CommandRunner) {}

  async read(): Promise<Map<number, SessionCounters> | null> {
    try {
      return parseSessionCounters(await this.runner.run(['nft', '-j', 'list', 'counters', 'table', ...INET.split(' ')]), this.others);
    } catch (e) {
      if (nftMissing(e)) return null;
      throw e;
    }
  }
}

/**
 * The native reader: one netlink dump of the table's counter objects. If it fails
 * for any reason but "table gone" it hands over to nft for good, so a broken
 * build on a router costs speed, not metering; `fallbackReason` says why.
 */
export class NativeCounterReader implements CounterReader {
  #fallback: NftCounterReader | null = null;
  fallbackReason: string | null = null;

  readonly #others = new Map<string, CounterReading>();
  constructor(
    private readonly runner: CommandRunner,
    readonly path: string,
  ) {}

  get kind(): 'native' | 'nft' {
    return this.#fallback ? 'nft' : 'native';
  }

  get others(): ReadonlyMap<string, CounterReading> {
    return this.#fallback ? this.#fallback.others : this.#others;
  }

  async read(opts: { changes?: boolean } = {}): Promise<Map<number, SessionCounters> | null> {
    if (this.#fallback) return this.#fallback.read();
    try {
      const argv = [this.path, '--table', TABLE, ...(opts.changes ? ['--changes'] : [])];
      const others = opts.changes ? new Map(this.#others) : this.#others;
      const out = parseNativeCounters(await this.runner.run(argv), others);
      // A reading of changes leaves out the gate's own counters that did not move: keep their last values.
      if (opts.changes) for (const [k, v] of others) this.#others.set(k, v);
      return out;
    } catch (e) {
      if (e instanceof CommandError && e.code === NATIVE_EXIT_GONE) return null;
      this.fallbackReason = (e as Error).message;
      this.#fallback = new NftCounterReader(this.runner);
      return this.#fallback.read();
    }
  }
}

/**
 * Picks the reader in a fixed order: the configured path (false forces nft),
 * then the installed binary, then the one built in the source tree, then nft.
 */
export function chooseCounterReader(
  runner: CommandRunner,
  configured?: string | false,
  exists: (path: string) => boolean = existsSync,
): { reader: CounterReader; reason: string } {
  if (configured === false) return { reader: new NftCounterReader(runner), reason: 'native reader disabled in config' };
  if (configured) {
    // Still metered when the configured path is wrong; the reason says so for the log.
    if (!exists(configured)) return { reader: new NftCounterReader(runner), reason: `configured native reader ${configured} not found` };
    return { reader: new NativeCounterReader(runner, configured), reason: `configured native reader ${configured}` };
  }
  for (const path of [INSTALLED_NATIVE_READER, TREE_NATIVE_READER]) {
    if (exists(path)) return { reader: new NativeCounterReader(runner, path), reason: `native reader ${path}` };
  }
  return { reader: new NftCounterReader(runner), reason: 'no native reader built or installed' };
}

/** The native reader's path as chooseCounterReader would pick it, or null (guest discovery uses it too). */
export function nativeReaderPath(configured?: string | false, exists: (path: string) => boolean = existsSync): string | null {
  if (configured === false) return null;
  if (configured) return exists(configured) ? configured : null;
  return [INSTALLED_NATIVE_READER, TREE_NATIVE_READER].find((p) => exists(p)) ?? null;
}
