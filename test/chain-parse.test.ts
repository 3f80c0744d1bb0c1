import t from 'tap';
import { account, ChainConfig } from '../chain/src/index.js';
import {
  asBigInt,
  asHash160,
  decodeChannel,
  fromHex,
  parseEvents,
  scriptHashToVm,
  toHex,
  u64le,
  vmToScriptHash,
  voucherMessage,
} from '../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, privateKeyHex } from '../protocol/src/node/index.js';

// The chain client's pure parts, without a chain: byte order, stack items,
// events, config.
const CONTRACT = '0x218642d807b2cbe2adb53c9061afd99f154e9479';
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

t.test('script hashes are reversed between 0x form and VM bytes', async (t) => {
  const vm = scriptHashToVm(CONTRACT);
  t.equal(toHex(vm), '79944e159fd9af61903cb5ade2cbb207d8428621');
  t.equal(vmToScriptHash(vm), CONTRACT);
  t.equal(asHash160({ type: 'ByteString', value: Buffer.from(vm).toString('base64') }), CONTRACT);
  const acc = account('L5ig7sRKdzYzMWnRwqdxr9fGLnd2CNKs992TopEtt4wfXtcrHPME');
  t.equal(vmToScriptHash(scriptHashToVm('0x' + acc.scriptHash)), '0x' + acc.scriptHash);
});

t.test('fixed-width fields refuse what does not fit', async (t) => {
  t.throws(() => u64le(-1n), RangeError);
  t.throws(() => u64le(1n << 64n), RangeError);
  t.throws(() => voucherMessage({ networkMagic: 1, contract: CONTRACT }, 0n, 1n), RangeError);
  t.throws(() => voucherMessage({ networkMagic: 1, contract: CONTRACT }, 1n, 1n << 63n), RangeError);
  t.throws(() => voucherMessage({ networkMagic: 2 ** 32, contract: CONTRACT }, 1n, 1n), RangeError);
  t.throws(() => fromHex('abc'), TypeError);
  t.equal(voucherMessage({ networkMagic: 0xffffffff, contract: CONTRACT }, 1n, (1n << 63n) - 1n).length, 56);
});

t.test("integers: JSON Integer and little-endian two's complement bytes", async (t) => {
  t.equal(asBigInt({ type: 'Integer', value: '-5' }), -5n);
  t.equal(asBigInt({ type: 'ByteString', value: b64('ff') }), -1n);
  t.equal(asBigInt({ type: 'ByteString', value: b64('ff00') }), 255n);
  t.equal(asBigInt({ type: 'ByteString', value: '' }), 0n);
  t.equal(asBigInt({ type: 'Boolean', value: true }), 1n);
});

t.test('records and events decode by field order', async (t) => {
  const h = b64('11'.repeat(20));
  const k = b64('02' + '22'.repeat(32));
  const ch = decodeChannel({
    type: 'Struct',
    value: [
      // v2's channel: id, guest, owner, token, voucher key, deposit, redeemed, expiry, closed, plan id, plan version.
      { type: 'Integer', value: '3' },
      { type: 'ByteString', value: h },
      { type: 'ByteString', value: h },
      { type: 'ByteString', value: h },
      { type: 'ByteString', value: k },
      { type: 'Integer', value: '100' },
      { type: 'Integer', value: '40' },
      { type: 'Integer', value: '1700000000000' },
      { type: 'Boolean', value: false },
      { type: 'Integer', value: '2' },
      { type: 'Integer', value: '7' },
    ],
  });
  t.equal(ch?.id, 3n);
  t.equal(ch?.guest, '0x' + '11'.repeat(20));
  t.equal(ch?.voucherKey, '02' + '22'.repeat(32));
  t.equal(ch?.redeemed, 40n);
  t.same([ch?.planId, ch?.planVersion], [2, 7]);
  t.equal(decodeChannel({ type: 'Any' }), null);

  const ev = parseEvents(CONTRACT, [
    { contract: '0xd2a4cff31913016155e38e474a2c06d08be276cf', eventname: 'Transfer', state: { type: 'Array', value: [] } },
    {
      contract: CONTRACT.toUpperCase().replace('0X', '0x'),
      eventname: 'ChannelRedeemed',
      state: {
        type: 'Array',
        value: [
          { type: 'Integer', value: '3' },
          { type: 'ByteString', value: h },
          { type: 'Integer', value: '90' },
          { type: 'Integer', value: '50' },
        ],
      },
    },
  ]);
  t.same(ev, [{ name: 'ChannelRedeemed', params: { id: 3n, owner: '0x' + '11'.repeat(20), cumulative: 90n, paid: 50n } }]);
});

t.test('keys load from raw NEO hex and match neon-js', async (t) => {
  const acc = account('L5ig7sRKdzYzMWnRwqdxr9fGLnd2CNKs992TopEtt4wfXtcrHPME');
  const key = privateKeyFromHex(acc.privateKey);
  t.equal(privateKeyHex(key), acc.privateKey);
  t.equal(compressedPublicKey(key), acc.publicKey);
});

t.test('config: TestNet is a change of URL and magic', async (t) => {
  t.ok(ChainConfig.safeParse({ rpc: 'https://rpc.testnet.example:443', networkMagic: 894710606, contract: CONTRACT }).success);
  t.notOk(ChainConfig.safeParse({ rpc: 'http://x', networkMagic: -1, contract: CONTRACT }).success);
  t.notOk(ChainConfig.safeParse({ rpc: 'http://x', networkMagic: 1, contract: '0x1234' }).success);
});
