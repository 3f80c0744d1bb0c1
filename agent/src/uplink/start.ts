import { runCommand, type CommandContext } from '../commands.js';
import type { Logger } from '../log.js';
import { NonceStore } from '../remote/nonces.js';
import { RemoteCommands } from '../remote/listener.js';
import type { Db } from '../store/db.js';
import { StatusReporter } from '../telemetry/status.js';
import { MqttLink, type UplinkConfig } from './link.js';
import { UsageUplink } from './mqtt.js';
import { Outbox } from './outbox.js';

export interface RunningUplink {
  /** Sends what is new in the outbox; call after sealing. */
  pump(): void;
  readonly connected: boolean;
  stop(): Promise<void>;
}

/** One MQTT connection carrying usage batches, status (with its will) and signed remote commands. */
export function startUplink(config: UplinkConfig, ctx: CommandContext, db: Db, log: Logger,
  /** The daemon's config reload (what SIGHUP does), if its owner gives one; reload-config is "unsupported" without it. */
  reloadConfig?: () => Promise<unknown>): RunningUplink {
  const link = new MqttLink(config, ctx.identity.address, log);
  const outbox = new Outbox(db);
  const usage = new UsageUplink(link, outbox, log);
  const status = new StatusReporter(link, {
    counts: async () => {
      const s = (await runCommand(ctx, { cmd: 'status' })) as { guests: number; sessions: number };
      return { guests: s.guests, sessions: s.sessions };
    },
    outbox: () => outbox.size(),
  }, log, ctx.startedAt);
  new RemoteCommands(link, config.ownerPublicKey?.toLowerCase(), new NonceStore(db), { run: (req) => runCommand(ctx, req), reload: reloadConfig }, log);
  usage.start();
  status.start();
  link.start();
  return {
    pump: () => usage.pump(),
    get connected() { return link.connected; },
    async stop() {
      usage.stop();
      status.stop();
      await link.stop();
    },
  };
}
