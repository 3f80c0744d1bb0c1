import type { Db } from '../store/driver.js';

/** Nonces of commands already run, kept until their command expires: after that the expiry alone refuses a replay. */
export class NonceStore {
  readonly #claim;
  readonly #prune;

  constructor(db: Db) {
    this.#claim = db.prepare('INSERT OR IGNORE INTO remote_nonces (nonce, expires) VALUES (?, ?)');
    this.#prune = db.prepare('DELETE FROM remote_nonces WHERE expires < ?');
  }

  /** True the first time a nonce is seen; false for a replay. Durable once it returns, so a restart remembers it. */
  claim(nonce: string, expires: number, now: number): boolean {
    this.#prune.run(now);
    return this.#claim.run(nonce, expires).changes === 1;
  }
}
