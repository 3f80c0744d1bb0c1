import type { CommandRunner } from '../kernel/run.js';

/** The interface of the IPv4 default route (then IPv6's): where guests' uploads leave. */
export async function defaultRouteInterface(runner: CommandRunner): Promise<string | null> {
  for (const fam of ['-4', '-6']) {
    try {
      const routes = JSON.parse(await runner.run(['ip', '-j', fam, 'route', 'show', 'default'])) as Array<{ dev?: string }>;
      const dev = routes.find((r) => typeof r.dev === 'string')?.dev;
      if (dev) return dev;
    } catch {
      // no route of this family, or no JSON: try the next
    }
  }
  return null;
}
