import { z } from 'zod';
import { canonicalJson } from './canonical.js';

/** A remote command on `qlink/v1/<router>/cmd`, and its answer on `…/cmd/result`. Layout: docs/remote-commands.md. */

export const CMD_TAG = 'qlink-cmd-v1\0';
export const MAX_COMMAND_BYTES = 16 * 1024;
/** A command may not be valid for longer than this: it bounds how long nonces are kept and how far a leaked command reaches. */
export const MAX_LIFETIME_MS = 15 * 60_000;
export const COMMANDS = ['auth', 'deauth', 'set-rate', 'reload-config'] as const;

export const nonceSchema = z.string().regex(/^[0-9a-f]{32,64}$/, 'expected 16 to 32 bytes of lowercase hex');
const argValue = z.union([z.string().max(256), z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), z.boolean()]);

export const commandSchema = z
  .object({
    v: z.literal(1),
    router: z.string().min(1).max(64),
    command: z.enum(COMMANDS),
    args: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/), argValue).refine((a) => Object.keys(a).length <= 16, 'at most 16 arguments'),
    /** Absolute expiry, milliseconds since the Unix epoch. */
    expires: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    nonce: nonceSchema,
    /** r‖s, 64 bytes hex, P-256 over SHA-256(signedBytes). */
    signature: z.string().regex(/^[0-9a-f]{128}$/, 'expected 64 bytes of lowercase hex'),
  })
  .strict();

export type RemoteCommand = z.infer<typeof commandSchema>;
export type UnsignedCommand = Omit<RemoteCommand, 'signature'>;

export const commandResultSchema = z.union([
  z.object({ v: z.literal(1), nonce: nonceSchema, ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ v: z.literal(1), nonce: nonceSchema, ok: z.literal(false), error: z.string().max(2_000) }).strict(),
]);
export type CommandResult = z.infer<typeof commandResultSchema>;

/** The bytes the owner signs: the domain tag, then the canonical JSON of every field but the signature, UTF-8. */
export function signedBytes(c: UnsignedCommand): Uint8Array {
  const { v, router, command, args, expires, nonce } = c;
  return new TextEncoder().encode(CMD_TAG + canonicalJson({ v, router, command, args, expires, nonce }));
}
