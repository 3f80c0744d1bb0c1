import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { wallet } from '@cityofzion/neon-js';
import { pino } from 'pino';
import t from 'tap';
import { addressOf, base58, scriptHashOf, toHex, verificationScript } from '../protocol/src/index.js';
import { identityFromKey, KEY_FILE, loadOrCreateIdentity } from '../agent/src/identity/router-key.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-id-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('first start makes a private P-256 key; later starts load the same one', async (t) => {
  const data = join(dir, 'a', 'data');
  const id = loadOrCreateIdentity(data);
  const path = join(data, KEY_FILE);
  t.equal(statSync(path).mode & 0o777, 0o600, 'only its owner may read it');
  t.equal(statSync(data).mode & 0o777, 0o700);
  t.match(readFileSync(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  t.match(id.publicKey, /^0[23][0-9a-f]{64}$/);
  t.ok(wallet.isAddress(id.address), 'a NEO N3 address');
  t.equal(wallet.getScriptHashFromAddress(id.address), id.scriptHash);
  t.same(loadOrCreateIdentity(data), { ...id, sign: loadOrCreateIdentity(data).sign }, 'same identity on the next start');
  t.equal(loadOrCreateIdentity(data).publicKey, id.publicKey);
});

t.test('signatures are r||s over SHA-256 and verify with neon-js', async (t) => {
  const id = loadOrCreateIdentity(join(dir, 'b'));
  const msg = Buffer.from('qlink identity test message');
  const sig = id.sign(msg);
  t.equal(sig.length, 64);
  t.ok(wallet.verify(msg.toString('hex'), sig.toString('hex'), id.publicKey));
  t.notOk(wallet.verify(Buffer.from('other').toString('hex'), sig.toString('hex'), id.publicKey));
});

t.test('matches neon-js for a known private key', async (t) => {
  const priv = '77164b8a0644be600c667d1aa702412f4c5dbe6136ed2f8a4ae47b7c0540e91e';
  const data = join(dir, 'c');
  loadOrCreateIdentity(data); // makes the directory; replace the key with a PKCS#8 of the known scalar
  const der = Buffer.concat([Buffer.from('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex'), Buffer.from(priv, 'hex')]);
  writeFileSync(join(data, KEY_FILE), `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
  const id = loadOrCreateIdentity(data);
  t.equal(id.publicKey, wallet.getPublicKeyFromPrivateKey(priv));
  t.equal(id.address, new wallet.Account(priv).address);
});

t.test('a key file others can read is refused', async (t) => {
  const data = join(dir, 'd');
  loadOrCreateIdentity(data);
  chmodSync(join(data, KEY_FILE), 0o644);
  t.throws(() => loadOrCreateIdentity(data), /readable by others/);
});

t.test('the private key never reaches a log line', async (t) => {
  let out = '';
  const log = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        out += c;
        cb();
      },
    }),
  );
  const data = join(dir, 'e');
  const id = loadOrCreateIdentity(data);
  log.info({ identity: id }, 'identity');
  const pem = readFileSync(join(data, KEY_FILE), 'utf8');
  const body = pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
  t.notOk(out.includes(body.slice(-40)), 'no PEM in the log');
  t.match(out, id.publicKey);
});

t.test('address and script hash match neon-js for many keys (node:crypto only at runtime)', async (t) => {
  const fixed = ['77164b8a0644be600c667d1aa702412f4c5dbe6136ed2f8a4ae47b7c0540e91e', '00'.repeat(31) + '01', '7f'.repeat(32)];
  const keys = [...fixed, ...Array.from({ length: 20 }, () => wallet.generatePrivateKey())];
  for (const priv of keys) {
    const pub = wallet.getPublicKeyFromPrivateKey(priv);
    const sh = scriptHashOf(pub);
    t.equal(sh, wallet.getScriptHashFromPublicKey(pub), `script hash of ${pub.slice(0, 10)}…`);
    t.equal(addressOf(sh), new wallet.Account(priv).address, 'address');
    t.equal(toHex(verificationScript(pub)), wallet.getVerificationScriptFromPublicKey(pub));
  }
  t.equal(base58(Buffer.of(0, 0, 1)), '112', 'leading zero bytes become 1s');
  t.throws(() => scriptHashOf('04' + '00'.repeat(32)), /compressed/);
});

t.test('node:crypto signatures of generated keys verify with neon-js', async (t) => {
  for (let i = 0; i < 5; i++) {
    const id = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const msg = Buffer.from(`message ${i}`);
    t.ok(wallet.verify(msg.toString('hex'), id.sign(msg).toString('hex'), id.publicKey));
    t.ok(wallet.isAddress(id.address));
    t.equal(wallet.getScriptHashFromAddress(id.address), id.scriptHash);
  }
});
