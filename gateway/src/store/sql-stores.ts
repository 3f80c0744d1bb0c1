import { migrations } from './migrations.js';
import type { SqlDriver } from './sql.js';
import { SqlIngestStore } from './sql-ingest.js';
import { SqlOwnerViewStore } from './sql-owner.js';
import { SqlProofStore } from './sql-proofs.js';
import { SqlReportStore } from './sql-reports.js';
import { SqlRouterCache } from './sql-routers.js';
import { SqlSettlementStore } from './sql-settlement.js';
import { SqlChannelIndexStore, SqlSponsorStore } from './sql-sponsor.js';
import type { GatewayStores } from './store.js';

/** Every concern's store over one SQL database, migrated to the newest schema first: the SQL is the same, only the driver differs. */
export async function sqlStores(db: SqlDriver): Promise<GatewayStores> {
  await db.migrate(migrations(db.dialect));
  return {
    dialect: db.dialect,
    ingest: new SqlIngestStore(db),
    settlement: new SqlSettlementStore(db),
    reports: new SqlReportStore(db),
    owner: new SqlOwnerViewStore(db),
    routers: new SqlRouterCache(db),
    sponsor: new SqlSponsorStore(db),
    channels: new SqlChannelIndexStore(db),
    proofs: new SqlProofStore(db),
    settlerLock: () => db.settlerLock(),
    close: () => db.close(),
  };
}
