import { CommandError, type CommandRunner } from '../kernel/run.js';
import type { Binding, EnsureResult, GateBackend, GatePolicy, Grant, SessionCounters, SpoofCounts } from './backend.js';
import { GateConflictError } from './backend.js';
import { chooseCounterReader, NATIVE_EXIT_GONE, NativeCounterReader, type CounterReader } from './counter-reader.js';
import { renderReconcile } from './nft-diff.js';
import { ARP, INET, SPOOF_COUNTERS, TABLE } from './nft-names.js';
import {
  renderAddCounters,
  renderBindings,
  renderDropCounters,
  renderGrantElements,
  renderGuestPorts,
  renderRemove,
  renderRevokeElements,
  renderStatic,
} from './nft-script.js';
import { emptyGateState, parseGateState, type NftGateState } from './nft-state.js';

const isMissing = (e: unknown): boolean => e instanceof CommandError && /No such file or directory/.test(e.stderr);

const bindingKey = (b: Binding): string => `${b.mac} ${b.ip}`;

/**
 * The gate as an `inet qlink` table (plus `arp qlink` for the router's ARP
 * table and `bridge qlink` for port isolation); every change is one nft
 * transaction.
 */
export class NftablesGate implements GateBackend {
  readonly kind = 'nftables' as const;
  readonly zeroRating = true;
  #ports: string | null = null;
  /** Sessions whose counters include the zero-rated pair, so their clean-up deletes all four. */
  #zoned = new Set<number>();
  /** The IPv4 bindings the kernel holds, by "mac ip". */
  #bound = new Map<string, Binding>();
  /** The poll's hot path: the native netlink reader when one is built or installed, else nft. */
  readonly counters: CounterReader;
  readonly countersReason: string;

  /** nativeCounters: config's path of the native counter reader, false for nft only, unset to look in the usual places. */
  constructor(
    private readonly runner: CommandRunner,
    nativeCounters?: string | false,
  ) {
    ({ reader: this.counters, reason: this.countersReason } = chooseCounterReader(runner, nativeCounters));
  }

  /** Applies one nft script atomically. */
  async apply(script: string): Promise<void> {
    await this.runner.run(['nft', '-f', '-'], script);
  }

  async #listState(): Promise<NftGateState | null> {
    try {
      return parseGateState(await this.runner.run(['nft', '-j', 'list', 'table', ...INET.split(' ')]));
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async ensure(policy: GatePolicy, grants: readonly Grant[], keepCounters: readonly number[]): Promise<EnsureResult> {
    const current = await this.#listState();
    const empty = emptyGateState();
    this.#zoned = new Set([...(current?.counters.keys() ?? [])].filter((n) => n.endsWith('_zup')).map((n) => Number(n.slice(1, -4))));
    for (const g of grants) if (g.zone) this.#zoned.add(g.sessionId);
    const diff = renderReconcile(current ?? empty, grants, keepCounters);
    const bound = [...this.#bound.values()];
    const script = renderStatic(policy, bound) + diff.lines.join('\n') + '\n' + (this.#ports ?? '');
    try {
      await this.apply(script);
    } catch (e) {
      if (!current) throw e;
      // A table of another layout (an older agent) cannot be amended in place: rebuild it.
      await this.apply(renderRemove()).catch(() => {});
      const fresh = renderReconcile(empty, grants, keepCounters);
      await this.apply(renderStatic(policy, bound) + fresh.lines.join('\n') + '\n' + (this.#ports ?? ''));
      return { created: true, granted: fresh.granted, revoked: 0 };
    }
    return { created: current === null, granted: diff.granted, revoked: diff.revoked };
  }

  async remove(): Promise<void> {
    for (const table of ['inet', 'arp', 'bridge']) {
      await this.apply(`delete table ${table} qlink\n`).catch((e) => {
        if (!isMissing(e)) throw e;
      });
    }
    this.#ports = null;
  }

  async grant(g: Grant): Promise<void> {
    await this.#fastPath([...renderAddCounters(g.sessionId, !!g.zone), ...renderGrantElements(g)]);
    if (g.zone) this.#zoned.add(g.sessionId);
  }

  async revoke(g: Grant): Promise<void> {
    await this.#fastPath(renderRevokeElements(g));
  }

  async dropCounters(sessionIds: readonly number[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.#fastPath(sessionIds.flatMap((id) => renderDropCounters(id, this.#zoned.has(id))));
    for (const id of sessionIds) this.#zoned.delete(id);
  }

  async #fastPath(lines: string[]): Promise<void> {
    try {
      await this.apply(lines.join('\n') + '\n');
    } catch (e) {
      if (e instanceof CommandError) throw new GateConflictError(e.message);
      throw e;
    }
  }

  readCounters(opts?: { changes?: boolean }): Promise<Map<number, SessionCounters> | null> {
    return this.counters.read(opts);
  }

  async rulesIntact(): Promise<boolean> {
    // The native reader counts the chain's rules without loading the table into an nft process.
    const native = this.counters instanceof NativeCounterReader && this.counters.kind === 'native' ? this.counters.path : null;
    if (native) {
      try {
        return /^rules [1-9]/.test(await this.runner.run([native, '--table', TABLE, '--rules', 'from_guest']));
      } catch (e) {
        if (e instanceof CommandError && e.code === NATIVE_EXIT_GONE) return false;
        // Anything else: ask nft, as without the reader.
      }
    }
    try {
      const json = await this.runner.run(['nft', '-j', 'list', 'chain', ...INET.split(' '), 'from_guest']);
      return (JSON.parse(json) as { nftables?: Array<Record<string, unknown>> }).nftables?.some((o) => 'rule' in o) ?? false;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async setBindings(bindings: readonly Binding[]): Promise<void> {
    const next = new Map(bindings.map((b) => [bindingKey(b), b]));
    const add = [...next].filter(([k]) => !this.#bound.has(k)).map(([, b]) => b);
    const del = [...this.#bound].filter(([k]) => !next.has(k)).map(([, b]) => b);
    if (!add.length && !del.length) return;
    try {
      await this.apply(renderBindings(add, del).join('\n') + '\n');
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      // Out of step with the kernel (the sets were flushed, or are gone): write them whole.
      if (isMissing(e) && !(await this.counters.read())) {
        this.#bound = next;
        return;
      }
      const whole = [
        `flush set ${INET} bound4`,
        `flush set ${INET} owned4`,
        `flush set ${ARP} bound4`,
        `flush set ${ARP} owned4`,
        ...renderBindings([...next.values()], []),
      ];
      await this.apply(whole.join('\n') + '\n');
    }
    this.#bound = next;
  }

  spoofed(): SpoofCounts {
    const get = (name: string) => this.counters.others.get(name)?.packets ?? 0;
    return { v4: get(SPOOF_COUNTERS.v4), v6: get(SPOOF_COUNTERS.v6), arp: get(SPOOF_COUNTERS.arp) };
  }

  async setGuestPorts(ports: readonly string[]): Promise<void> {
    const script = renderGuestPorts([...ports].sort());
    if (script === this.#ports) return;
    await this.apply(script);
    this.#ports = script;
  }
}
