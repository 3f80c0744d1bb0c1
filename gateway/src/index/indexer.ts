import type { Logger } from 'pino';
import type { JsonRpc } from '../../../chain/src/json-rpc.js';
import { fromBase64, fromHex, parseEvents, type Notification, type QlinkEvent } from '../../../protocol/src/index.js';
import type { ChannelChange, ChannelIndexStore } from '../store/wallet-types.js';

interface Block {
  index: number;
  tx: Array<{ hash: string; script: string }>;
}
interface AppLog {
  executions: Array<{ vmstate: string; notifications: Notification[] }>;
}

const n = (v: unknown): number => Number(v as bigint);

/** What one of the contract's events changes in the index; events that do not touch a channel change nothing. */
export function channelChange(e: QlinkEvent, block: number): ChannelChange | null {
  const p = e.params;
  switch (e.name) {
    case 'ChannelOpened':
      return {
        kind: 'opened',
        channel: {
          id: n(p.id),
          guest: String(p.guest),
          owner: String(p.owner),
          router: String(p.router),
          token: String(p.token),
          voucherKey: String(p.voucherKey),
          deposit: n(p.deposit),
          expiry: n(p.expiry),
          planId: n(p.planId),
          planVersion: n(p.planVersion),
          openedBlock: block,
        },
      };
    case 'ChannelToppedUp':
      return { kind: 'topped-up', id: n(p.id), deposit: n(p.deposit), expiry: n(p.expiry) };
    case 'ChannelRedeemed':
      return { kind: 'redeemed', id: n(p.id), cumulative: n(p.cumulative) };
    case 'ChannelClosed':
      return { kind: 'closed', id: n(p.id), cumulative: n(p.cumulative) };
    case 'ChannelRefunded':
      return { kind: 'refunded', id: n(p.id) };
    case 'ChannelRekeyed':
      return { kind: 'rekeyed', id: n(p.id), voucherKey: String(p.voucherKey) };
    default:
      return null;
  }
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

/**
 * Follows the chain with standard JSON-RPC only (getblockcount, getblock
 * verbose, getapplicationlog) and keeps every channel's state as the
 * contract's events leave it, by guest and by voucher key: so a page can ask
 * which open channels an account holds at an owner's hotspots. Only
 * transactions whose script names the contract (a call into it, or a
 * transfer to it) cost an application-log read; a transaction that reaches
 * the contract only through another contract is not seen (none of the
 * product's do).
 */
export class ChannelIndexer {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #contractVm: Uint8Array;

  constructor(
    private readonly d: {
      rpc: JsonRpc;
      contract: string;
      store: ChannelIndexStore;
      log: Logger;
      fromBlock: number;
      pollMs: number;
      name?: string;
      blocksPerStep?: number;
    },
  ) {
    this.#contractVm = fromHex(d.contract, 20, 'contract').reverse();
  }

  get name(): string {
    return this.d.name ?? `qlink:${this.d.contract.toLowerCase()}`;
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.step()
        .then(
          () => undefined,
          (e: Error) => {
            this.d.log.warn({ err: e.message }, 'channel index: chain not read');
          },
        )
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#timer = setTimeout(tick, this.d.pollMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** The last block read; -1 before the first. */
  indexedTo(): Promise<number> {
    return this.d.store.height(this.name);
  }

  /** Reads the blocks made since the last step (up to blocksPerStep); returns how many. */
  async step(): Promise<number> {
    const count = await this.d.rpc.call<number>('getblockcount', []);
    let next = Math.max((await this.d.store.height(this.name)) + 1, this.d.fromBlock);
    const end = Math.min(count, next + (this.d.blocksPerStep ?? 500));
    const started = next;
    for (; next < end && !this.#stopped; next++) await this.block(next);
    return next - started;
  }

  /** Waits until the index has read `height` (a block the caller saw), or ms pass; true when it has. */
  async caughtUp(height: number, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if ((await this.indexedTo()) >= height) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async block(index: number): Promise<void> {
    const b = await this.d.rpc.call<Block>('getblock', [index, true]);
    const changes: ChannelChange[] = [];
    for (const t of b.tx ?? []) {
      if (!contains(fromBase64(t.script), this.#contractVm)) continue;
      const log = await this.d.rpc.call<AppLog>('getapplicationlog', [t.hash]);
      for (const ex of log.executions ?? []) {
        if (ex.vmstate !== 'HALT') continue;
        for (const e of parseEvents(this.d.contract, ex.notifications ?? [])) {
          const c = channelChange(e, index);
          if (c) changes.push(c);
        }
      }
    }
    await this.d.store.apply(this.name, index, changes);
    if (changes.length) this.d.log.debug({ block: index, changes: changes.length }, 'channel index: block read');
  }
}
