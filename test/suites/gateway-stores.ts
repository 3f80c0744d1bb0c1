import type { Test } from 'tap';
import type { OpenStores } from './gateway-store-fixtures.js';
import { ingestStoreSuite } from './gateway-ingest-store.suite.js';
import { ownerViewStoreSuite } from './gateway-owner-store.suite.js';
import { proofStoreSuite } from './gateway-proof-store.suite.js';
import { reportStoreSuite } from './gateway-report-store.suite.js';
import { routerCacheSuite } from './gateway-router-cache.suite.js';
import { settlementStoreSuite } from './gateway-settlement-store.suite.js';
import { sponsorStoreSuite } from './gateway-wallet-store.suite.js';

/**
 * What every implementation of the gateway's stores must do, one suite per
 * concern, run against SQLite and PostgreSQL alike
 * (test/gateway-store.{sqlite,pg}.test.ts). The concerns share one database
 * (settlement redeems the vouchers ingest stored, reports count both), so
 * each suite is given a whole GatewayStores and sets its case up through the
 * others; a fake standing in for the stores would be held to the same suites.
 */
export function gatewayStoreSuites(t: Test, open: OpenStores): void {
  t.test('IngestStore', async (t) => ingestStoreSuite(t, open));
  t.test('SettlementStore', async (t) => settlementStoreSuite(t, open));
  t.test('ReportStore', async (t) => reportStoreSuite(t, open));
  t.test('OwnerViewStore', async (t) => ownerViewStoreSuite(t, open));
  t.test('RouterCache', async (t) => routerCacheSuite(t, open));
  t.test('SponsorStore and ChannelIndexStore', async (t) => sponsorStoreSuite(t, open));
  t.test('ProofStore', async (t) => proofStoreSuite(t, open));
}
