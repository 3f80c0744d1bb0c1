import type { Logger } from '../log.js';
import type { ChannelSource } from '../vouchers/channel-source.js';

export interface RegistrationState {
  /** null until the first read answers. */
  registered: boolean | null;
  /** The owner (0x script hash) the chain has for this router, while it is registered and active. */
  owner: string | null;
  checkedAt: number | null;
  error: string | null;
}

/**
 * Follows the router's record on chain (through the gateway, or the chain
 * directly: the portal's channel source), so a registration made from the
 * owner's page is picked up without a restart: the voucher check reads the
 * same owner, so the router sells from then on. Polls every `pollMs` until
 * registered, then every minute (a retirement is seen too).
 */
export class RegistrationWatch {
  #state: RegistrationState = { registered: null, owner: null, checkedAt: null, error: null };
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly source: Pick<ChannelSource, 'routerOwner'>,
    private readonly log: Logger,
    private readonly pollMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): RegistrationState {
    return { ...this.#state };
  }

  async check(): Promise<RegistrationState> {
    try {
      const owner = await this.source.routerOwner();
      const was = this.#state.owner;
      this.#state = { registered: owner !== null, owner, checkedAt: this.clock(), error: null };
      if (owner && owner !== was) this.log.info({ owner }, 'router registered on chain: selling');
      if (!owner && was) this.log.warn({ was }, 'router no longer registered on chain (retired): not selling');
    } catch (e) {
      this.#state = { ...this.#state, checkedAt: this.clock(), error: (e as Error).message };
    }
    return this.state;
  }

  start(): void {
    const tick = async () => {
      await this.check();
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), this.#state.owner ? 60_000 : this.pollMs);
    };
    void tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
