import { answerCommand, type CommandContext } from '../commands.js';
import type { Logger } from '../log.js';
import { NonceStore } from '../remote/nonces.js';
import { RemoteCommands } from '../remote/listener.js';
import type { Db } from '../store/driver.js';
import { StatusReporter } from '../telemetry/status.js';
import { RPC_SLOTS } from '../limits/config.js';
import { GatewayRpc } from './gateway-rpc.js';
import { join } from 'node:path';
import { KEY_FILE } from '../identity/router-key.js';
import { certPath, ensureCertificate } from './enroll.js';
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
export function startUplink(
  config: UplinkConfig,
  ctx: CommandContext,
  db: Db,
  log: Logger,
  /** The daemon's config reload (what SIGHUP does), if its owner gives one; reload-config is "unsupported" without it. */
  reloadConfig?: () => Promise<unknown>,
): RunningUplink {
  // With enrollment the broker knows the router by a certificate for its own key, kept in dataDir.
  const enrolled = config.enrollUrl
    ? { ...config, certFile: certPath(config, ctx.config.dataDir), keyFile: config.keyFile ?? join(ctx.config.dataDir, KEY_FILE) }
    : config;
  const link = new MqttLink(enrolled, ctx.identity.address, log);
  const outbox = new Outbox(db);
  const usage = new UsageUplink(link, outbox, log);
  const status = new StatusReporter(
    link,
    {
      counts: async () => {
        const s = (await answerCommand(ctx, { cmd: 'status' })) as { guests: number; sessions: number };
        return { guests: s.guests, sessions: s.sessions };
      },
      outbox: () => outbox.size(),
      spoofed: () => ctx.gatekeeper.health.spoofed,
    },
    log,
    ctx.startedAt,
  );
  new RemoteCommands(link, config.ownerPublicKey?.toLowerCase(), new NonceStore(db), { run: (req) => answerCommand(ctx, req), reload: reloadConfig }, log);
  const limits = ctx.config.portal.limits;
  const rpc = new RpcClient(link, ctx.identity, log, {
    timeoutMs: 20_000,
    maxInFlight: RPC_SLOTS,
    perGuest: limits.rpcSlotsPerGuest,
    reserved: limits.rpcSlotsReserved,
  });
  const gateway = new GatewayRpc(rpc, ctx.identity.publicKey);
  usage.start();
  status.start();
  let renewal: NodeJS.Timeout | undefined;
  const chain = ctx.config.chain;
  if (config.enrollUrl && chain) {
    // Get a certificate (or a fresh one) first, then connect; look again daily.
    const enroll = async (first: boolean) => {
      try {
        const renewed = await ensureCertificate(enrolled, ctx.identity, chain, ctx.config.dataDir, log);
        if (first) link.start();
        else if (renewed) await link.restart();
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'broker certificate: enrollment failed; trying again in a minute');
        if (first) {
          renewal = setTimeout(() => void enroll(true), 60_000);
          return;
        }
      }
      renewal = setTimeout(() => void enroll(false), 86_400_000);
    };
    void enroll(true);
  } else link.start();
  return {
    pump: () => usage.pump(),
    get connected() {
      return link.connected;
    },
    gateway,
    async stop() {
      clearTimeout(renewal);
      usage.stop();
      status.stop();
      rpc.stop();
      await link.stop();
    },
  };
}
