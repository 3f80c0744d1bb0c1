import { wallet } from '@cityofzion/neon-js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { addressOfKey, walletSignedMessage } from '../../../protocol/src/index.js';
import { compressedPublicKey, privateKeyFromHex, signP256 } from '../../../protocol/src/node/index.js';

const USAGE = 'qlink-gateway owner-login --url https://gateway.example.net --wif-file owner.wif   prints a session token (12 h) for scripts';

/**
 * An owner's login without a browser wallet: the same challenge and the
 * same signature a wallet's signMessageWithoutSalt makes, from a key file.
 * The token goes in `Authorization: Bearer …`.
 */
export async function ownerLoginCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { url: { type: 'string' }, 'wif-file': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help || !values.url || !values['wif-file']) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const key = privateKeyFromHex(wallet.getPrivateKeyFromWIF(readFileSync(values['wif-file']!, 'utf8').trim()));
  const publicKey = compressedPublicKey(key);
  const owner = addressOfKey(publicKey);
  const base = values.url!.replace(/\/$/, '');
  const ch = await fetch(`${base}/login/challenge?owner=${owner}`);
  const { challenge, error } = (await ch.json()) as { challenge?: string; error?: string };
  if (!challenge) throw new Error(`no challenge: ${error ?? ch.status}`);
  const signature = Buffer.from(signP256(key, walletSignedMessage('', challenge))).toString('hex');
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ owner, challenge, publicKey, salt: '', signature }),
  });
  const out = (await r.json()) as { token?: string; error?: string; expires?: number };
  if (!out.token) throw new Error(`login refused: ${out.error ?? r.status}`);
  console.error(`logged in as ${owner} until ${new Date(out.expires!).toISOString()}`);
  console.log(out.token);
}
