import { CommandError, type CommandRunner } from '../kernel/run.js';
import type { EnsureResult, GateBackend, GatePolicy, Grant, SessionCounters } from './backend.js';
import { GateConflictError } from './backend.js';
import { chooseCounterReader, type CounterReader } from './counter-reader.js';
import { renderReconcile } from './nft-diff.js';
import { INET } from './nft-names.js';
import { renderAddCounters, renderDropCounters, renderGrantElements, renderGuestPorts, renderRemove, renderRevokeElements, renderStatic } from './nft-script.js';
import { parseGateState, type NftGateState } from './nft-state.js';

const isMissing = (e: unknown): boolean => e instanceof CommandError && /No such file or directory/.test(e.stderr);

/** The gate as an `inet qlink` table (plus `bridge qlink` for port isolation); every change is one nft transaction. */
export class NftablesGate implements GateBackend {
  readonly kind = 'nftables' as const;
  #ports: string | null = null;
  /** The poll's hot path: the native netlink reader when one is built or installed, else nft. */
  readonly counters: CounterReader;
  readonly countersReason: string;

  /** nativeCounters: config's path of the native counter reader, false for nft only, unset to look in the usual places. */
  constructor(private readonly runner: CommandRunner, nativeCounters?: string | false) {
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
    const empty: NftGateState = { markOf: new Map(), upCtr: new Map(), dnCtr: new Map(), clsOf: new Map(), authMac: new Set(), counters: new Map() };
    const diff = renderReconcile(current ?? empty, grants, keepCounters);
    const script = renderStatic(policy) + diff.lines.join('\n') + '\n' + (this.#ports ?? '');
    try {
      await this.apply(script);
    } catch (e) {
      if (!current) throw e;
      // A table of another layout (an older agent) cannot be amended in place: rebuild it.
      await this.apply(renderRemove()).catch(() => {});
      const fresh = renderReconcile(empty, grants, keepCounters);
      await this.apply(renderStatic(policy) + fresh.lines.join('\n') + '\n' + (this.#ports ?? ''));
      return { created: true, granted: fresh.granted, revoked: 0 };
    }
    return { created: current === null, granted: diff.granted, revoked: diff.revoked };
  }

  async remove(): Promise<void> {
    for (const table of ['inet', 'bridge']) {
      await this.apply(`delete table ${table} qlink\n`).catch((e) => { if (!isMissing(e)) throw e; });
    }
    this.#ports = null;
  }

  async grant(g: Grant): Promise<void> {
    await this.#fastPath([...renderAddCounters(g.sessionId), ...renderGrantElements(g)]);
  }

  async revoke(g: Grant): Promise<void> {
    await this.#fastPath(renderRevokeElements(g));
  }

  async dropCounters(sessionIds: readonly number[]): Promise<void> {
    if (sessionIds.length) await this.#fastPath(sessionIds.flatMap(renderDropCounters));
  }

  async #fastPath(lines: string[]): Promise<void> {
    try {
      await this.apply(lines.join('\n') + '\n');
    } catch (e) {
      if (e instanceof CommandError) throw new GateConflictError(e.message);
      throw e;
    }
  }

  readCounters(): Promise<Map<number, SessionCounters> | null> {
    return this.counters.read();
  }

  async rulesIntact(): Promise<boolean> {
    try {
      const json = await this.runner.run(['nft', '-j', 'list', 'chain', ...INET.split(' '), 'from_guest']);
      return (JSON.parse(json) as { nftables?: Array<Record<string, unknown>> }).nftables?.some((o) => 'rule' in o) ?? false;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async setGuestPorts(ports: readonly string[]): Promise<void> {
    const script = renderGuestPorts([...ports].sort());
    if (script === this.#ports) return;
    await this.apply(script);
    this.#ports = script;
  }
}
