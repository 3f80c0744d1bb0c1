import { runCommand, type CommandContext } from '../commands.js';
import type { Logger } from '../log.js';
import { NonceStore } from '../remote/nonces.js';
import { RemoteCommands } from '../remote/listener.js';
import type { Db } from '../store/db.js';
import { StatusReporter } from '../telemetry/status.js';
import { GatewayRpc } from './gateway-rpc.js';
import { MqttLink, type UplinkConfig } from './link.js';
import { UsageUplink } from './mqtt.js';
import { Outbox } from './outbox.js';
import { RpcClient } from './rpc-client.js';

export interface RunningUplink {
  /** Sends what is new in the outbox; call after sealing. */
  pump(): void;
  readonly connected: boolean;
  /** The gateway's channel service on the same connection. */
  readonly gateway: GatewayRpc;
  stop(): Promise<void>;
}

/** One MQTT connection carrying usage batches, status (with its will), signed remote commands and the channel service. */
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
  const rpc = new RpcClient(link, log);
  const gateway = new GatewayRpc(rpc, ctx.identity.publicKey);
  usage.start();
  status.start();
  link.start();
  return {
    pump: () => usage.pump(),
    get connected() { return link.connected; },
    gateway,
    async stop() {
      usage.stop();
      status.stop();
      rpc.stop();
      await link.stop();
    },
  };
}
