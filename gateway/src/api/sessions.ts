import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADDRESS_PATTERN, fromHex, loginBodySchema, scriptHashOf, scriptHashOfAddress, walletSignedMessage } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import { HttpError } from './query.js';

/**
 * Owners log in with their wallet: the gateway gives a challenge text, the
 * owner's wallet signs it with signMessage (NeoLine, or `qlink-gateway
 * owner-login` with a key file), and the gateway checks that the key's
 * account is the owner's address and the signature is over the wallet's
 * wrapping of the text (protocol walletSignedMessage). The session is a
 * token, HMAC-signed by the gateway (a shared api.sessionSecret lets several
 * gateways honour each other's), limited to that owner.
 */
export type Access = { kind: 'operator' } | { kind: 'owner'; owner: string; address: string } | { kind: 'public' };

const CHALLENGE_MS = 5 * 60_000;
export const SESSION_MS = 12 * 3_600_000;

export class OwnerSessions {
  readonly #secret: Buffer;

  constructor(
    secret: string | undefined,
    private readonly name: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.#secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('base64url');
  }

  /** The text to sign; it names this gateway, the owner and until when, and carries its own MAC (no state kept). */
  challenge(owner: string): { challenge: string; expires: number } {
    if (!ADDRESS_PATTERN.test(owner)) throw new HttpError(400, 'owner: a NEO N3 address');
    const expires = this.clock() + CHALLENGE_MS;
    const body = `qlink owner login to ${this.name} as ${owner} until ${new Date(expires).toISOString()} nonce ${randomBytes(8).toString('hex')}`;
    return { challenge: `${body} mac ${this.#mac(body)}`, expires };
  }

  /** Checks the signed challenge; a session token for the owner. */
  login(body: unknown): { token: string; owner: string; expires: number } {
    const b = loginBodySchema.safeParse(body);
    if (!b.success)
      throw new HttpError(
        400,
        `login: ${b.error.issues
          .slice(0, 2)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    const { owner, challenge, publicKey, salt, signature } = b.data;
    const m = /^(qlink owner login to .+ as (N\w{33}) until (\S+) nonce [0-9a-f]{16}) mac (\S+)$/.exec(challenge);
    if (!m || !this.#same(m[4]!, this.#mac(m[1]!))) throw new HttpError(403, 'login: not a challenge of this gateway');
    if (m[2] !== owner) throw new HttpError(403, 'login: the challenge is for another owner');
    if (Date.parse(m[3]!) < this.clock()) throw new HttpError(403, 'login: the challenge expired; ask for a new one');
    if ('0x' + scriptHashOf(publicKey.toLowerCase()) !== scriptHashOfAddress(owner)) throw new HttpError(403, "login: the key is not the owner's account");
    if (!verifyP256(walletSignedMessage(salt, challenge), fromHex(signature, 64), publicKey.toLowerCase())) {
      throw new HttpError(403, "login: the signature is not the owner's over this challenge");
    }
    const expires = this.clock() + SESSION_MS;
    const claim = `${owner}.${expires}`;
    return { token: `${claim}.${this.#mac(`session ${claim}`)}`, owner, expires };
  }

  /** The owner (address and 0x script hash) a token stands for, or null when it is forged or expired. */
  verify(token: string): { address: string; owner: string } | null {
    const m = /^(N\w{33})\.(\d{1,16})\.([\w-]{43})$/.exec(token);
    if (!m || !this.#same(m[3]!, this.#mac(`session ${m[1]}.${m[2]}`)) || Number(m[2]) < this.clock()) return null;
    return { address: m[1]!, owner: scriptHashOfAddress(m[1]!) };
  }

  #same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}
