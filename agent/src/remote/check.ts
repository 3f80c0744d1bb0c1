import { commandSchema, MAX_COMMAND_BYTES, MAX_LIFETIME_MS, nonceSchema, type RemoteCommand, signedBytes } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';

export type Checked = { ok: true; command: RemoteCommand } | { ok: false; reason: string; nonce: string | null };

export interface CheckContext {
  routerId: string;
  ownerPublicKey: string | undefined;
  now: number;
}

/** The nonce of a refused message if it carries a well-formed one, so the sender can be told why. */
function readNonce(json: unknown): string | null {
  const n = (json as { nonce?: unknown } | null)?.nonce;
  return nonceSchema.safeParse(n).success ? (n as string) : null;
}

/** Everything but the replay check, cheapest first; nothing here trusts the message before its signature is checked. */
export function checkCommand(payload: Buffer, c: CheckContext): Checked {
  if (payload.length > MAX_COMMAND_BYTES) return { ok: false, reason: `too large (${payload.length} bytes)`, nonce: null };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON', nonce: null };
  }
  const nonce = readNonce(json);
  const parsed = commandSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'} ${i.message}`).join('; ')}`, nonce };
  const cmd = parsed.data;
  if (!c.ownerPublicKey) return { ok: false, reason: 'remote commands are off (no owner public key configured)', nonce };
  if (cmd.router !== c.routerId) return { ok: false, reason: 'for another router', nonce };
  let good = false;
  try {
    good = verifyP256(signedBytes(cmd), Buffer.from(cmd.signature, 'hex'), c.ownerPublicKey);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad signature', nonce };
  if (cmd.expires <= c.now) return { ok: false, reason: 'expired', nonce };
  if (cmd.expires > c.now + MAX_LIFETIME_MS) return { ok: false, reason: `expiry more than ${MAX_LIFETIME_MS / 60_000} minutes ahead`, nonce };
  return { ok: true, command: cmd };
}
