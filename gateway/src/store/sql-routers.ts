import { num, one, type SqlDriver } from './sql.js';
import type { RouterCache } from './store.js';
import type { RouterInfo } from './types.js';

interface RouterRow {
  address: string;
  public_key: string;
  owner: string;
  active: number;
  checked_at: number;
}
const toRouter = (r: RouterRow): RouterInfo => ({
  address: r.address,
  publicKey: r.public_key,
  owner: r.owner,
  active: num(r.active) === 1,
  checkedAt: num(r.checked_at),
});

/** The RouterCache over either SQL driver. */
export class SqlRouterCache implements RouterCache {
  constructor(private readonly db: SqlDriver) {}

  async putRouter(r: RouterInfo): Promise<void> {
    await this.db.run(
      `INSERT INTO routers (address, public_key, owner, active, checked_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner,
      active = excluded.active, checked_at = excluded.checked_at`,
      [r.address, r.publicKey, r.owner, r.active ? 1 : 0, r.checkedAt],
    );
  }

  async getRouter(address: string): Promise<RouterInfo | null> {
    const r = await one<RouterRow>(this.db, 'SELECT * FROM routers WHERE address = ?', [address]);
    return r ? toRouter(r) : null;
  }

  async listRouters(): Promise<RouterInfo[]> {
    return (await this.db.all<RouterRow>('SELECT * FROM routers ORDER BY address')).map(toRouter);
  }
}
