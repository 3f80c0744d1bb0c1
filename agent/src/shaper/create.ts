import type { AgentConfig } from '../config/schema.js';
import type { CommandRunner } from '../kernel/run.js';
import type { Logger } from '../log.js';
import type { Shaper } from './shaper.js';
import { TcShaper } from './tc.js';
import { defaultRouteInterface } from './wan.js';

/** The shaper the config asks for, or none when shaping is off. */
export async function createShaper(config: AgentConfig, runner: CommandRunner, log: Logger): Promise<Shaper | undefined> {
  if (!config.shaping.enabled) return undefined;
  const wan = config.shaping.wanInterface ?? (await defaultRouteInterface(runner));
  if (!wan) log.warn("no default route and no shaping.wanInterface: guests' uploads are not shaped");
  const shaper = await TcShaper.create(runner, log, {
    lan: config.guestInterface,
    wan,
    totalDownBps: config.shaping.totalDown ?? null,
    totalUpBps: config.shaping.totalUp ?? null,
  });
  log.info(shaper.info, 'shaping guests');
  return shaper;
}
