import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { wallet } from '@cityofzion/neon-js';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import t from 'tap';
import type { CommandContext } from '../agent/src/commands.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { Gatekeeper } from '../agent/src/gatekeeper.js';
import { identityFromKey } from '../agent/src/identity/router-key.js';
import { type CommandResult, signedBytes, toHex, type UnsignedCommand } from '../protocol/src/index.js';
import { openStore } from '../agent/src/store/db.js';
import { GuestStore } from '../agent/src/store/guests.js';
import { SessionStore } from '../agent/src/store/sessions.js';
import { startUplink } from '../agent/src/uplink/start.js';
import { MemoryGate } from './fakes/memory-gate.js';
import { Broker, freePort, until } from './helpers/mosquitto.js';
import { TEST_GATEWAY_KEY } from './helpers/gateway-key.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-remote-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const owner = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ownerPub = identityFromKey(owner.privateKey).publicKey;
const signCmd = (c: UnsignedCommand, key = owner.privateKey) => ({
  ...c,
  signature: sign('sha256', signedBytes(c), { key, dsaEncoding: 'ieee-p1363' }).toString('hex'),
});

t.test('signed remote commands over a real mosquitto', async (t) => {
  const broker = new Broker(await freePort(), join(dir, 'mosquitto.conf'));
  t.teardown(() => broker.stop());
  await broker.start();
  const config = parseConfig({
    dataDir: join(dir, 'data'),
    chain: { networkMagic: 1, contract: '0x' + '1'.repeat(40) },
    uplink: { gatewayKey: TEST_GATEWAY_KEY, url: broker.url, reconnectMs: 200, ownerPublicKey: ownerPub },
  });
  let logged = '';
  const log = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        logged += c;
        cb();
      },
    }),
  );
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const router = identity.address;
  const mac = '02:00:00:00:00:01';

  // The daemon's pieces without the kernel: MemoryGate for the gate, a real store on disk.
  const start = (reloadConfig?: () => Promise<unknown>) => {
    const db = openStore(config.dataDir);
    const sessions = new SessionStore(db);
    const guests = new GuestStore(db);
    guests.record([{ mac, ip: '10.250.0.100', family: 4, source: 'lease' }], Date.now());
    const gatekeeper = new Gatekeeper(
      new MemoryGate(),
      sessions,
      { guestInterface: 'br-lan', portalPort: 8088, walled4: [], walled6: [], blocked4: [], blocked6: [] },
      log,
    );
    const ctx = {
      config,
      gatekeeper,
      sessions,
      guests,
      identity,
      backendKind: 'memory',
      startedAt: Date.now(),
      refreshGuests: async () => {},
      shaper: null,
      warnings: [],
      repair: async () => {},
      clock: Date.now,
    } as CommandContext;
    const up = startUplink(config.uplink!, ctx, db, log, reloadConfig);
    return {
      db,
      gatekeeper,
      up,
      stop: async () => {
        await up.stop();
        db.close();
      },
    };
  };
  let agent = start();
  t.teardown(() => agent.stop());
  await agent.gatekeeper.start();

  const gw = await connectAsync(broker.url, { clientId: 'test-gateway' });
  t.teardown(() => gw.endAsync(true));
  const results: CommandResult[] = [];
  gw.on('message', (_topic, p) => results.push(JSON.parse(p.toString())));
  await gw.subscribeAsync(`qlink/v1/${router}/cmd/result`, { qos: 1 });
  await until('router connected', () => agent.up.connected);
  await new Promise((r) => setTimeout(r, 300)); // its cmd subscription is in place

  const cmd = (command: UnsignedCommand['command'], args: Record<string, string | number>, over: Partial<UnsignedCommand> = {}): UnsignedCommand => ({
    v: 1,
    router,
    command,
    args,
    expires: Date.now() + 60_000,
    nonce: randomBytes(16).toString('hex'),
    ...over,
  });
  const send = async (msg: unknown) => {
    await gw.publishAsync(`qlink/v1/${router}/cmd`, typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg), { qos: 1 });
  };
  /** A command no schema allows, sent on purpose (the broker's schema audit is told). */
  const sendGarbage = (msg: unknown) => send(broker.audit.garbage(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg)));
  const answer = async (nonce: string) => {
    await until(`answer for ${nonce}`, () => results.some((r) => r.nonce === nonce), 10_000);
    return results.filter((r) => r.nonce === nonce).at(-1)!;
  };

  const auth = signCmd(cmd('auth', { guest: mac, minutes: 30 }));
  t.ok(wallet.verify(toHex(signedBytes(auth)), auth.signature, ownerPub), 'neon-js verifies the owner signature');
  await send(auth);
  const a = await answer(auth.nonce);
  t.equal(a.ok, true, 'a valid auth runs');
  t.match((a as { result: unknown }).result, { mac, state: 'authorized' });

  await send(auth);
  await until('replay answered', () => results.filter((r) => r.nonce === auth.nonce).length === 2, 10_000);
  t.same(await answer(auth.nonce), { v: 1, nonce: auth.nonce, ok: false, error: 'replayed' }, 'the same command again is refused');

  const expired = signCmd(cmd('deauth', { guest: mac }, { expires: Date.now() - 1 }));
  await send(expired);
  t.match(await answer(expired.nonce), { ok: false, error: 'expired' });
  const tooLong = signCmd(cmd('deauth', { guest: mac }, { expires: Date.now() + 24 * 3_600_000 }));
  await send(tooLong);
  t.match(await answer(tooLong.nonce), { ok: false, error: /minutes ahead/ });

  const forged = signCmd(cmd('deauth', { guest: mac }), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  await send(forged);
  t.match(await answer(forged.nonce), { ok: false, error: 'bad signature' });
  const tampered = { ...signCmd(cmd('auth', { guest: mac, minutes: 1 })), args: { guest: mac, minutes: 600 } };
  await send(tampered);
  t.match(await answer(tampered.nonce), { ok: false, error: 'bad signature' }, 'changed arguments break the signature');
  const unsigned = cmd('deauth', { guest: mac });
  await sendGarbage(unsigned);
  t.match(await answer(unsigned.nonce), { ok: false, error: /malformed: signature/ });
  const foreign = signCmd(cmd('deauth', { guest: mac }, { router: 'NZNovsh6BAkUDuVsxsMhrYq8rtBJDdCFzF' }));
  await send(foreign);
  t.match(await answer(foreign.nonce), { ok: false, error: 'for another router' });

  const before = results.length;
  await sendGarbage('not json {');
  await sendGarbage(Buffer.alloc(17 * 1024, 0x41));
  await sendGarbage(JSON.stringify({ nonce: 'zz', junk: [1, 2, 3] }));
  await sendGarbage(JSON.stringify({ ...signCmd(cmd('deauth', { guest: mac })), extra: 1 }).replace(/"nonce":"[0-9a-f]+"/, '"nonce":"x"'));
  const unknown = { ...cmd('deauth', { guest: mac }), command: 'format-disk', signature: '00'.repeat(64) };
  await sendGarbage(unknown);
  t.match(await answer(unknown.nonce), { ok: false, error: /malformed: command/ });
  t.equal(results.length, before + 1, 'messages without a readable nonce get no answer');

  const rate = signCmd(cmd('set-rate', { guest: mac, down: '2mbit' }));
  await send(rate);
  const r = await answer(rate.nonce);
  t.ok(r.ok || /unsupported|shap/i.test((r as { error: string }).error), `set-rate answered: ${JSON.stringify(r)}`);
  const reload = signCmd(cmd('reload-config', {}));
  await send(reload);
  t.match(await answer(reload.nonce), { ok: false, error: /unsupported: reload-config/ }, 'no reload hook in this process');
  const badArgs = signCmd(cmd('auth', { guest: mac, minutes: -5 }));
  await send(badArgs);
  t.match(await answer(badArgs.nonce), { ok: false, error: /bad arguments/ });

  // A restart does not forget the nonces: the first command replayed to a new process is still refused.
  await agent.stop();
  agent = start(async () => ({ applied: ['logLevel'], needsRestart: [] }));
  await until('router reconnected', () => agent.up.connected);
  await new Promise((r) => setTimeout(r, 300));
  const n = results.length;
  await send(auth);
  await until('replay after restart answered', () => results.length > n, 10_000);
  t.same(results.at(-1), { v: 1, nonce: auth.nonce, ok: false, error: 'replayed' }, 'replay refused after a restart');

  const deauth = signCmd(cmd('deauth', { guest: mac }));
  await send(deauth);
  t.match(await answer(deauth.nonce), { ok: true, result: { mac, endReason: 'deauth' } }, 'a valid deauth runs');
  const reload2 = signCmd(cmd('reload-config', {}));
  await send(reload2);
  t.same(
    await answer(reload2.nonce),
    { v: 1, nonce: reload2.nonce, ok: true, result: { applied: ['logLevel'], needsRestart: [] } },
    'reload-config runs the daemon hook',
  );
  t.match(logged, /remote command refused/);
  t.notMatch(logged, /PRIVATE KEY/);
  t.ok((agent.db.prepare('SELECT count(*) AS n FROM remote_nonces').get() as { n: number }).n >= 1, 'nonces kept in the store');
});
