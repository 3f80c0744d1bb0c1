import { sc, tx, u, wallet } from '@cityofzion/neon-js';
import t from 'tap';
import {
  contractCallScript,
  privateKeyOfWif,
  serializeTx,
  signatureInvocation,
  signData,
  toHex,
  txId,
  verificationScript,
  type UnsignedTx,
} from '../protocol/src/index.js';
import { privateKeyFromHex, signP256, verifyP256 } from '../protocol/src/node/index.js';

// The router CLI's transactions (protocol/src/neo-tx.ts, no neon-js) byte for
// byte as neon-js makes them: the same script for the same calls, the same
// serialization, hash and signed data; a WIF read the same way.
const contract = '0x' + '5c'.repeat(10) + 'a1'.repeat(10);
const acct = new wallet.Account(wallet.generatePrivateKey());

t.test('contract-call scripts: every argument kind and size, several calls', async (t) => {
  const ints = [
    0n,
    1n,
    16n,
    17n,
    -1n,
    -2n,
    127n,
    128n,
    255n,
    256n,
    32767n,
    32768n,
    65535n,
    2n ** 31n,
    2n ** 32n,
    2n ** 63n - 1n,
    2n ** 63n,
    1_796_177_988_861n,
  ];
  for (const n of ints) {
    const mine = toHex(contractCallScript(contract, [{ operation: 'f', args: [{ type: 'Integer', value: n }] }]));
    t.equal(mine, sc.createScript({ scriptHash: contract, operation: 'f', args: [sc.ContractParam.integer(n.toString())] }), `integer ${n}`);
  }
  const key = acct.publicKey;
  const big = new Uint8Array(300).fill(7);
  const mine = contractCallScript(contract, [
    {
      operation: 'registerRouter',
      args: [
        { type: 'Hash160', value: '0x' + acct.scriptHash },
        { type: 'PublicKey', value: key },
        { type: 'Integer', value: 1_800_000_000_000n },
        { type: 'ByteArray', value: new Uint8Array(64).fill(3) },
      ],
    },
    {
      operation: 'publishPlan',
      args: [
        { type: 'Hash160', value: '0x' + acct.scriptHash },
        { type: 'Integer', value: 1 },
        { type: 'ByteArray', value: big },
      ],
    },
  ]);
  const theirs = sc.createScript(
    {
      scriptHash: contract,
      operation: 'registerRouter',
      args: [
        sc.ContractParam.hash160(acct.scriptHash),
        sc.ContractParam.publicKey(key),
        sc.ContractParam.integer('1800000000000'),
        sc.ContractParam.byteArray(u.HexString.fromHex('03'.repeat(64), true)),
      ],
    },
    {
      scriptHash: contract,
      operation: 'publishPlan',
      args: [sc.ContractParam.hash160(acct.scriptHash), sc.ContractParam.integer(1), sc.ContractParam.byteArray(u.HexString.fromHex('07'.repeat(300), true))],
    },
  );
  t.equal(toHex(mine), theirs, 'registerRouter and publishPlan (a 300-byte PUSHDATA2) in one script');
});

t.test('a signed transaction: serialization, id and witness as neon-js has them', async (t) => {
  const script = contractCallScript(contract, [{ operation: 'publishPlan', args: [{ type: 'Integer', value: 9 }] }]);
  const mine: UnsignedTx = {
    nonce: 123456789,
    systemFee: 40_282_740n,
    networkFee: 1_430_520n,
    validUntilBlock: 4321,
    signers: ['0x' + acct.scriptHash],
    script,
  };
  const theirs = new tx.Transaction({
    nonce: 123456789,
    systemFee: u.BigInteger.fromNumber(40_282_740),
    networkFee: u.BigInteger.fromNumber(1_430_520),
    validUntilBlock: 4321,
    signers: [{ account: acct.scriptHash, scopes: tx.WitnessScope.CalledByEntry }],
    script: u.HexString.fromHex(toHex(script)),
  });
  t.equal(txId(mine), '0x' + theirs.hash(), 'the id');
  const magic = 1903980139;
  t.equal(toHex(signData(mine, magic)), theirs.getMessageForSigning(magic), 'what the witness signs');
  const key = privateKeyFromHex(privateKeyOfWif(acct.WIF));
  const sig = signP256(key, signData(mine, magic));
  t.ok(wallet.verify(theirs.getMessageForSigning(magic), sig.toString('hex'), acct.publicKey), 'neon-js verifies the signature');
  theirs.addWitness(new tx.Witness({ invocationScript: toHex(signatureInvocation(sig)), verificationScript: toHex(verificationScript(acct.publicKey)) }));
  t.equal(
    toHex(serializeTx(mine, [{ invocation: signatureInvocation(sig), verification: verificationScript(acct.publicKey) }])),
    theirs.serialize(true),
    'the signed bytes',
  );
  t.ok(verifyP256(signData(mine, magic), sig, acct.publicKey));
});

t.test('WIF: the key neon-js reads; a bad checksum or form refused', async (t) => {
  t.equal(privateKeyOfWif(acct.WIF), acct.privateKey);
  const bad = acct.WIF.slice(0, -1) + (acct.WIF.endsWith('a') ? 'b' : 'a');
  t.throws(() => privateKeyOfWif(bad));
  t.throws(() => privateKeyOfWif('1111'));
});
