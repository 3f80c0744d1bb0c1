import t from 'tap';
import { TokenBuckets } from '../agent/src/limits/bucket.js';
import { LIMITS_DEFAULTS, limitsSchema } from '../agent/src/limits/config.js';
import { ConnectionCaps } from '../agent/src/limits/connections.js';
import { asGuest, currentGuest } from '../agent/src/limits/guest.js';
import { GuestLimits } from '../agent/src/limits/guest-limits.js';
import { LimitExceeded, rawRefusal } from '../agent/src/limits/refusal.js';
import { SlotShare } from '../agent/src/limits/slots.js';
import { parseConfig } from '../agent/src/config/schema.js';
import { KnownKeys } from '../agent/src/vouchers/known-keys.js';

// The per-guest limits' parts (issue 16 part 4), each on its own, on a clock the test moves.
let now = 1_000_000;
const clock = () => now;

t.test('token bucket: a burst, then the rate; each key its own; Retry-After is the wait for one token', async (t) => {
  const b = new TokenBuckets({ perSecond: 2, burst: 3 }, clock);
  t.same(
    [b.take('a'), b.take('a'), b.take('a')].map((r) => r.ok),
    [true, true, true],
    'the burst',
  );
  const no = b.take('a');
  t.same(no, { ok: false, retryAfterMs: 500 }, 'then refused, 500 ms to the next token at 2/s');
  t.ok(b.take('b').ok, 'another guest is not touched');
  now += 500;
  t.ok(b.take('a').ok, 'one token after 500 ms');
  t.notOk(b.take('a').ok);
  now += 60_000;
  t.same(
    [b.take('a'), b.take('a'), b.take('a'), b.take('a')].map((r) => r.ok),
    [true, true, true, false],
    'refilled to the burst, never above',
  );
  t.throws(() => new TokenBuckets({ perSecond: 0, burst: 1 }), /perSecond > 0/);
});

t.test('token bucket: at most maxKeys buckets, full ones out first, then the least recently used', async (t) => {
  const b = new TokenBuckets({ perSecond: 1, burst: 2 }, clock, 3);
  b.take('x');
  now += 10_000;
  b.take('drained');
  b.take('drained');
  b.take('y');
  b.take('z');
  t.equal(b.size, 3, 'x (refilled, full) went for z');
  t.notOk(b.take('drained').ok, 'the drained one, older than y and z in use order but not full, was kept: forgetting it would hand it a new burst');
  for (const k of ['p', 'q', 'r']) b.take(k);
  t.equal(b.size, 3, 'with none full, the least recently used go');
});

t.test('guest limits: each kind its own bucket, the refusal names the limit with its terms', async (t) => {
  const g = new GuestLimits({ ...LIMITS_DEFAULTS, voucherChecks: { perSecond: 1, burst: 1 } }, clock);
  g.charge('voucher-checks', 'm1');
  const e = t.throws(() => g.charge('voucher-checks', 'm1')) as LimitExceeded;
  t.ok(e instanceof LimitExceeded);
  t.same(e.body(), {
    error: 'too many voucher checks: at most 1/s (bursts of 1) per guest',
    reason: 'rate-limit',
    limit: 'voucher-checks',
    retryAfterSeconds: 1,
  });
  t.doesNotThrow(() => g.charge('lookups', 'm1'), 'look-ups are a bucket of their own');
  t.doesNotThrow(() => g.chargeIf('voucher-checks', undefined), "the router's own work (no guest) is never charged");
  const raw = rawRefusal(e);
  t.match(raw, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
  t.match(raw, /\r\nretry-after: 1\r\n/);
  t.same(JSON.parse(raw.split('\r\n\r\n')[1]!), e.body(), 'the raw answer carries the same body, its length right');
  t.equal(Number(/content-length: (\d+)/.exec(raw)![1]), Buffer.byteLength(raw.split('\r\n\r\n')[1]!));
});

t.test('RPC slots: one guest at most its share; guests leave the reserve to the router; release is once', async (t) => {
  const s = new SlotShare(8, 3, 2);
  const mine = [s.take('a'), s.take('a'), s.take('a')];
  t.ok(mine.every(Boolean));
  const e = t.throws(() => s.take('a')) as LimitExceeded;
  t.equal(e.limit, 'rpc-slots', 'the fourth call of one guest is refused by name');
  const other = [s.take('b'), s.take('b'), s.take('c')];
  t.ok(other.every(Boolean), 'other guests still get slots');
  t.equal(s.take('d'), false, 'guests together hold total - reserved (6): the pool is "full" to guests');
  const own = [s.take(undefined), s.take(undefined)];
  t.ok(own.every(Boolean), "the router's own calls have the 2 reserved");
  t.equal(s.take(undefined), false, 'all 8 in flight');
  (mine[0] as () => void)();
  (mine[0] as () => void)();
  t.equal(s.held('a'), 2, 'a release counts once');
  t.equal(s.inFlight, 7);
  t.ok(s.take('d'), 'a freed slot goes to whoever asks next');
  t.throws(() => new SlotShare(4, 3, 2), /must fit/);
});

t.test('connection caps: per guest and in all, each refusal named; closing counts out once', async (t) => {
  const c = new ConnectionCaps(2, 3);
  const a1 = c.open('a');
  c.open('a');
  t.equal((t.throws(() => c.open('a')) as LimitExceeded).limit, 'connections-per-guest');
  c.open('b');
  t.equal((t.throws(() => c.open('c')) as LimitExceeded).limit, 'connections', 'the global cap');
  a1();
  a1();
  t.equal(c.size, 2);
  t.ok(c.open('a'), 'a closed connection makes room');
});

t.test('the guest behind a call: set per request, seen through awaits, absent outside', async (t) => {
  t.equal(currentGuest(), undefined);
  const seen = await asGuest('02:00:00:00:00:09', async () => {
    await new Promise((r) => setTimeout(r, 5));
    return Promise.resolve().then(() => currentGuest());
  });
  t.equal(seen, '02:00:00:00:00:09');
  t.equal(currentGuest(), undefined);
});

t.test('known keys: a voucher failing the key known is looked up once, then refused without a look-up until recheckMs', async (t) => {
  const k = new KnownKeys(30_000);
  const byK2 = (key: string) => key === 'K2';
  t.equal(k.precheck(7n, byK2, now), 'unknown', 'never read: look it up');
  k.note(7n, 'K1');
  t.equal(
    k.precheck(7n, (key) => key === 'K1', now),
    'signed',
  );
  t.equal(k.precheck(7n, byK2, now + 1_000), 'unknown', 'not by the key known: looked up once (a rekey may have named K2)');
  k.note(7n, 'K1');
  t.equal(k.precheck(7n, byK2, now + 2_000), 'forged', 'the key is still K1: the next ones are refused here');
  t.equal(k.precheck(7n, byK2, now + 29_000), 'forged');
  t.equal(k.precheck(7n, byK2, now + 32_000), 'unknown', 'after recheckMs, one more look-up');
  k.note(7n, 'K2');
  t.equal(k.precheck(7n, byK2, now + 32_100), 'signed', 'rekeyed: K2 known now');
  t.equal(
    k.precheck(7n, (key) => key === 'K3', now + 32_200),
    'unknown',
    'a changed key cleared the failures: a rekey right after is looked up',
  );
});

t.test('config: the limits have defaults in the agent config schema, and are checked', async (t) => {
  const c = parseConfig({ plans: [] });
  t.same(c.portal.limits, LIMITS_DEFAULTS);
  t.match(c.portal.limits, { requests: { perSecond: 20, burst: 60 }, rpcSlotsPerGuest: 4, connectionsPerGuest: 16, connections: 1_024, missCacheSeconds: 5 });
  t.equal(c.staleGuestMinutes, 60);
  t.equal(c.maxGuests, 4_096);
  t.same(
    parseConfig({ plans: [], portal: { limits: { lookups: { perSecond: 5 } } } }).portal.limits.lookups,
    { perSecond: 5, burst: 10 },
    'one field given, the rest default',
  );
  t.notOk(limitsSchema.safeParse({ requests: { perSecond: 0 } }).success, 'a rate of 0 is refused');
  t.notOk(limitsSchema.safeParse({ connectionsPerGuest: 0 }).success);
});
