import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { wallet } from '@cityofzion/neon-js';
import t from 'tap';
import { canonicalJson, commandSchema, signedBytes, toHex } from '../protocol/src/index.js';
import { verifyP256 } from '../protocol/src/node/index.js';

const doc = readFileSync(new URL('../../docs/remote-commands.md', import.meta.url), 'utf8');
const PRIV = '77164b8a0644be600c667d1aa702412f4c5dbe6136ed2f8a4ae47b7c0540e91e';
const PUB = '028c90408e22f472fbea45d94aa44afeca083c0a31d226c14940f8c8b0f4af6ee6';
const SHA = 'b8bd1c0b162e349a119b38f21625bbc4138bdafd0765a1f01d8f2b4750cc4c0e';
const SIG = 'fda5e726a3be36e60f8f61174f61a7f4e4887baf7493d473202d229fe8a10eef952c4cef523cf5fac84878a4c7ac1a2f3cfd67472c91035f65fceb0295821d9b';

t.test('the documented command vector', async (t) => {
  const cmd = commandSchema.parse({
    v: 1,
    router: 'NXV7ZhHiyM1aHXwpVsRZC6BwNFP2jghXAq',
    command: 'auth',
    args: { minutes: 30, guest: '02:00:00:00:00:01' },
    expires: 1767225600000,
    nonce: '000102030405060708090a0b0c0d0e0f',
    signature: SIG,
  });
  const bytes = signedBytes(cmd);
  const text = new TextDecoder().decode(bytes).replace('\0', '\\0');
  t.ok(doc.includes(text), 'the signed bytes are as documented');
  t.equal(createHash('sha256').update(bytes).digest('hex'), SHA);
  t.equal(wallet.getPublicKeyFromPrivateKey(PRIV), PUB);
  for (const v of [PUB, SHA, SIG]) t.ok(doc.includes(v), `${v.slice(0, 8)}… in the doc`);
  t.ok(verifyP256(bytes, Buffer.from(SIG, 'hex'), PUB), 'node:crypto verifies');
  t.ok(wallet.verify(toHex(bytes), SIG, PUB), 'neon-js verifies');
  t.notOk(verifyP256(signedBytes({ ...cmd, expires: cmd.expires + 1 }), Buffer.from(SIG, 'hex'), PUB), 'any change breaks it');
});

t.test('canonical JSON', async (t) => {
  t.equal(canonicalJson({ b: [2, { d: 1, c: 'x' }], a: true, é: null }), '{"a":true,"b":[2,{"c":"x","d":1}],"é":null}');
  t.throws(() => canonicalJson({ a: 1.5 }), /safe integers/);
});
