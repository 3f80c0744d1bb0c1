import { requestSchema, UserError, type Request } from '../control/protocol.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../uplink/link.js';
import { checkCommand } from './check.js';
import type { NonceStore } from './nonces.js';
import type { CommandResult, RemoteCommand } from '../../../protocol/src/index.js';

export interface RemoteHandlers {
  /** The local CLI's handler (commands.ts answerCommand): remote and local commands behave alike. */
  run(req: Request): Promise<unknown>;
  /** The daemon's reload, when it has one; without it reload-config answers "unsupported". */
  reload?: () => Promise<unknown>;
}

export class Unsupported extends Error {}

/** A control request for a verified command, or Unsupported when this agent's control protocol lacks it. */
export function toRequest(c: RemoteCommand): Request {
  const parsed = requestSchema.safeParse({ ...c.args, cmd: c.command });
  if (parsed.success) return parsed.data;
  if (parsed.error.issues.some((i) => i.code === 'invalid_union' && i.path.join('.') === 'cmd')) throw new Unsupported(`unsupported: ${c.command}`);
  throw new UserError(`bad arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'} ${i.message}`).join('; ')}`);
}

/**
 * Reads `…/cmd`, refuses what is unsigned, foreign, expired, replayed or
 * malformed, runs the rest, and answers on `…/cmd/result`. The nonce is
 * claimed (durably) before the command runs, so a replay never runs twice,
 * even across a restart; a refused message never burns a nonce.
 */
export class RemoteCommands {
  constructor(
    private readonly link: MqttLink,
    private readonly ownerPublicKey: string | undefined,
    private readonly nonces: NonceStore,
    private readonly handlers: RemoteHandlers,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    link.handle(link.topics.cmd, (payload) => void this.onMessage(payload));
  }

  async onMessage(payload: Buffer): Promise<void> {
    const now = this.clock();
    const checked = checkCommand(payload, { routerId: this.link.routerId, ownerPublicKey: this.ownerPublicKey, now });
    if (!checked.ok) {
      this.log.warn({ reason: checked.reason, nonce: checked.nonce, bytes: payload.length }, 'remote command refused');
      if (checked.nonce) this.answer({ v: 1, nonce: checked.nonce, ok: false, error: checked.reason });
      return;
    }
    const c = checked.command;
    if (!this.nonces.claim(c.nonce, c.expires, now)) {
      this.log.warn({ reason: 'replayed', nonce: c.nonce, command: c.command }, 'remote command refused');
      return this.answer({ v: 1, nonce: c.nonce, ok: false, error: 'replayed' });
    }
    try {
      const result = await this.execute(c);
      this.log.info({ command: c.command, nonce: c.nonce }, 'remote command done');
      this.answer({ v: 1, nonce: c.nonce, ok: true, result });
    } catch (e) {
      const expected = e instanceof UserError || e instanceof Unsupported;
      if (expected) this.log.warn({ command: c.command, nonce: c.nonce, err: (e as Error).message }, 'remote command failed');
      else this.log.error({ command: c.command, nonce: c.nonce, err: (e as Error).message }, 'remote command failed');
      this.answer({ v: 1, nonce: c.nonce, ok: false, error: expected ? (e as Error).message : `internal error: ${(e as Error).message}` });
    }
  }

  private async execute(c: RemoteCommand): Promise<unknown> {
    if (c.command === 'reload-config') {
      if (!this.handlers.reload) throw new Unsupported('unsupported: reload-config (this agent has no reload hook)');
      return this.handlers.reload();
    }
    return this.handlers.run(toRequest(c));
  }

  private answer(r: CommandResult): void {
    if (!this.link.publish(this.link.topics.cmdResult, JSON.stringify(r), { qos: 1 })) {
      this.log.warn({ nonce: r.nonce }, 'command result not sent: uplink down');
    }
  }
}
