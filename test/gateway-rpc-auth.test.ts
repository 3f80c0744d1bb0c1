import t from 'tap';
import { RequestAuth } from '../gateway/src/rpc/auth.js';
import { addressOfKey, requestSigningBytes } from '../protocol/src/index.js';
import { newKeyPair, signP256 } from '../protocol/src/node/index.js';

// What the channel service checks of every request before it does anything for it.
const NOW = 1_800_000_000_000;
const router = newKeyPair();
const routerId = addressOfKey(router.publicKey);
let n = 0;
function request(over: { key?: string; expires?: number; nonce?: string; signer?: ReturnType<typeof newKeyPair>; routerId?: string } = {}) {
  const auth = { key: over.key ?? router.publicKey, nonce: over.nonce ?? (++n).toString(16).padStart(32, '0'), expires: over.expires ?? NOW + 60_000 };
  const body = { v: 1, id: `r-${n}`, method: 'close', params: { channelId: 7, router: router.publicKey }, auth };
  const sig = signP256((over.signer ?? router).privateKey, requestSigningBytes(over.routerId ?? routerId, body)).toString('hex');
  return { ...body, auth: { ...auth, sig } } as Record<string, unknown>;
}

t.test('a request signed by the topic router, fresh and new, passes; its key comes back', async (t) => {
  const a = new RequestAuth(() => NOW);
  t.equal(a.check(routerId, request()), router.publicKey);
});

t.test('every forgery is refused, naming why', async (t) => {
  const a = new RequestAuth(() => NOW);
  const other = newKeyPair();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no auth at all', { v: 1, id: 'x', method: 'close', params: {} }, /auth/],
    ["another router's key", request({ key: other.publicKey, signer: other }), /not the topic router's key/],
    ['signed by another key', request({ signer: other }), /not signed by the router's key/],
    ['signed for another router id', request({ routerId: addressOfKey(other.publicKey) }), /not signed by the router's key/],
    ['expired', request({ expires: NOW - 1 }), /expired/],
    ['valid for a day', request({ expires: NOW + 86_400_000 }), /valid too long/],
  ];
  for (const [name, req, why] of cases) t.throws(() => a.check(routerId, req), why, name);
  const tampered = request();
  (tampered.params as Record<string, unknown>).channelId = 8;
  t.throws(() => a.check(routerId, tampered), /not signed by the router's key/, 'params changed after signing');
});

t.test('a replayed nonce is refused', async (t) => {
  const a = new RequestAuth(() => NOW);
  const r = request({ nonce: 'ab'.repeat(16) });
  a.check(routerId, r);
  t.throws(() => a.check(routerId, r), /nonce already used/);
});
