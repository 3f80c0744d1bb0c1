import t from 'tap';
import { SESSION_ACTIONS, SESSION_BYTES, sessionActionMessage, toHex } from '../protocol/src/index.js';

// The fixed message a channel's voucher key signs to resume, log out or refund now (protocol/src/messages.ts).
const d = { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' };
const ROUTER = '039b79aaacfd8c72408cee129a3e16571cc27764672661b3f038333924388757da';

t.test('layout: tag, magic, contract, channel, router key, action, time', async (t) => {
  const m = sessionActionMessage(d, 7n, ROUTER, 'logout', 1_767_225_600_000);
  t.equal(m.length, SESSION_BYTES);
  t.equal(
    toHex(m),
    [
      '716c696e6b2d73657373696f6e2d7631', // "qlink-session-v1"
      '6b6e7c71', // magic 1903980139, little-endian
      '79944e159fd9af61903cb5ade2cbb207d8428621', // contract, VM order
      '0700000000000000', // channel 7
      ROUTER,
      '02', // logout
      '00a8da769b010000', // 1767225600000 ms (2026-01-01T00:00:00Z)
    ].join(''),
  );
  t.same(SESSION_ACTIONS, { resume: 1, logout: 2, refund: 3 });
});

t.test('each field changes the bytes, so a signature is for one action, channel, router and time only', async (t) => {
  const base = toHex(sessionActionMessage(d, 7n, ROUTER, 'resume', 1000));
  for (const other of [
    sessionActionMessage(d, 8n, ROUTER, 'resume', 1000),
    sessionActionMessage(d, 7n, '02' + ROUTER.slice(2), 'resume', 1000),
    sessionActionMessage(d, 7n, ROUTER, 'refund', 1000),
    sessionActionMessage(d, 7n, ROUTER, 'resume', 1001),
    sessionActionMessage({ ...d, networkMagic: 860833102 }, 7n, ROUTER, 'resume', 1000),
  ])
    t.not(toHex(other), base);
  t.throws(() => sessionActionMessage(d, 0n, ROUTER, 'resume', 1000), /channel id/);
  t.throws(() => sessionActionMessage(d, 1n, ROUTER, 'resume', -1), /time/);
});
