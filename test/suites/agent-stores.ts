import type { Test } from 'tap';
import type { SqlDriver } from '../../agent/src/store/driver.js';
import { guestStoreSuite } from './agent-guests.suite.js';
import { sessionStoreSuite } from './agent-sessions.suite.js';
import { usageStoreSuite } from './agent-usage.suite.js';
import { voucherStoreSuite } from './agent-vouchers.suite.js';
import { sqlDriverSuite } from './sql-driver.suite.js';

/**
 * What the agent's stores promise, on one SQLite driver (test/agent-store.test.ts
 * runs it on each): the driver's own contract first, then the stores over it,
 * crash-safety claims included (stored before granted, deleted only on ack,
 * sealed in order, a record cut in the write that moved its totals).
 */
export function agentStoreSuites(t: Test, driver: SqlDriver): void {
  t.test('SqlDriver', async (t) => sqlDriverSuite(t, driver));
  t.test('SessionStore', async (t) => sessionStoreSuite(t, driver));
  t.test('GuestStore', async (t) => guestStoreSuite(t, driver));
  t.test('VoucherStore, ChannelLedger, NonceStore', async (t) => voucherStoreSuite(t, driver));
  t.test('UsageRecorder, UsageBatcher, Outbox', async (t) => usageStoreSuite(t, driver));
}
