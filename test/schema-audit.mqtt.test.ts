import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import t from 'tap';
import { offlineStatus, routerTopics } from '../protocol/src/index.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { signedAck } from './helpers/gateway-key.js';

// The audit every test broker runs is itself a test: it must refuse what the
// published schemas refuse, or the other suites' silence means nothing.
const dir = mkdtempSync(join(tmpdir(), 'qlink-audit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const router = 'NZNovsh6BAkUDuVsxsMhrYq8rtBJDdCFzF';
const topics = routerTopics(router);

t.test('messages the schemas allow pass; each kind of refusal is named', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'refuses.conf'));
  await broker.start();
  const c = await connectAsync(broker.url, { clientId: 'audit-test' });
  t.teardown(() => c.endAsync(true));
  await c.publishAsync(topics.ack, signedAck(router, [1, 2]), { qos: 1 });
  await c.publishAsync(topics.status, offlineStatus(router), { qos: 1 });
  await until('two good messages checked', () => broker.audit.checked === 2, 5_000);
  t.same(broker.audit.violations, [], 'a signed ack and the last will are protocol messages');

  await c.publishAsync(topics.ack, JSON.stringify({ v: 1, seqs: [1] }), { qos: 1 });
  await c.publishAsync(topics.usage, 'not json', { qos: 1 });
  await c.publishAsync(`qlink/v1/${router}/firmware`, '{}', { qos: 1 });
  await c.publishAsync(topics.status, JSON.stringify({ v: 1, router, online: true }), { qos: 1 });
  await c.publishAsync(topics.cmd, broker.audit.garbage('deliberate'), { qos: 1 });
  await until('four refusals', () => broker.audit.violations.length === 4, 5_000);
  const [unsigned, notJson, noSchema, thinStatus] = broker.audit.violations;
  t.match(unsigned, /\/ack: .*required property 'sig'/);
  t.match(notJson, /\/usage: not JSON/);
  t.match(noSchema, /\/firmware: no published schema/);
  t.match(thinStatus, /\/status: /, 'an online status without its figures');
  await t.rejects(broker.stop(), /4 protocol message\(s\) the published schemas refuse/, 'stop() fails the test that sent them');
});

t.test("a benchmark's broker runs no audit", async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'bench.conf'), '', { audit: false });
  await broker.start();
  const c = await connectAsync(broker.url, { clientId: 'audit-off' });
  await c.publishAsync(topics.usage, 'not json', { qos: 1 });
  await c.endAsync();
  await broker.stop();
  t.equal(broker.audit.checked + broker.audit.violations.length, 0);
});
