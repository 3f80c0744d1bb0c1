/**
 * Who waits for whom in the gatekeeper. Operations on one guest (auth,
 * deauth, a rate change, its end by a limit) run one at a time per key, and
 * operations on different guests run side by side; a rebuild of the whole
 * gate is exclusive: it waits for the keyed ones under way and holds back new
 * ones. Nothing here waits for a poll's counter read, which takes no lock.
 */
export class GateLocks {
  #exclusive: Promise<void> = Promise.resolve();
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<unknown>>();

  /** Runs fn after the previous operation on `key` and after any exclusive one queued before it. */
  key<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.keys([key], fn);
  }

  /** As key(), holding several keys at once (a poll ending many sessions in one go). */
  keys<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const prev = keys.map((k) => (this.#tails.get(k) ?? Promise.resolve()).catch(() => {}));
    const run = Promise.all([this.#exclusive, ...prev]).then(fn);
    const done = run.then(
      () => {},
      () => {},
    );
    for (const k of keys) this.#tails.set(k, done);
    this.#running.add(done);
    void done.then(() => {
      this.#running.delete(done);
      for (const k of keys) if (this.#tails.get(k) === done) this.#tails.delete(k);
    });
    return run;
  }

  /** Runs fn once every operation started before it has finished; later ones wait for it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = [this.#exclusive, ...this.#running];
    const run = Promise.all(before.map((p) => p.catch(() => {}))).then(fn);
    this.#exclusive = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}
