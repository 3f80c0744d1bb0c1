/**
 * The voucher key of each channel read before, so a voucher's signature is
 * checked (a P-256 verification, a fraction of a millisecond) before a
 * look-up that costs a gateway or chain RPC. A voucher that fails against
 * the key known is looked up once (the key may have changed: a rekey, here
 * or at another of the owner's routers); after that, until recheckMs has
 * passed, more that fail are refused with no look-up. A flood of forged
 * vouchers for a channel costs one look-up per recheckMs.
 */
export class KnownKeys {
  readonly #keys = new Map<bigint, { key: string; failedAt?: number }>();

  constructor(
    private readonly recheckMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** A read found the channel's key (a changed key clears its failures). */
  note(id: bigint, key: string): void {
    const k = this.#keys.get(id);
    this.#keys.delete(id);
    this.#keys.set(id, k && k.key === key ? k : { key });
    if (this.#keys.size > this.maxKeys) this.#keys.delete(this.#keys.keys().next().value!);
  }

  /**
   * 'signed': by the key known (the look-up still follows, for deposit and state);
   * 'forged': not by it, and it was looked up again within recheckMs: refuse without a look-up;
   * 'unknown': look it up.
   */
  precheck(id: bigint, signedBy: (key: string) => boolean, now: number): 'signed' | 'forged' | 'unknown' {
    const k = this.#keys.get(id);
    if (!k) return 'unknown';
    if (signedBy(k.key)) return 'signed';
    if (k.failedAt !== undefined && now - k.failedAt < this.recheckMs) return 'forged';
    k.failedAt = now;
    return 'unknown';
  }
}
