import type { CommandRunner } from '../kernel/run.js';

/**
 * Flow offloading (firewall4's `flow_offloading`) moves established flows past
 * the forward hook, where the gate's counters, marks and queues are: a guest
 * flow offloaded is neither counted nor shaped. nftables gives another table no
 * way to keep a flow out of fw4's flowtable, so the agent finds it and says so.
 */
export async function offloadWarning(runner: CommandRunner, guestInterface: string): Promise<string | null> {
  let json: string;
  try {
    json = await runner.run(['nft', '-j', 'list', 'flowtables']);
  } catch {
    return null;
  }
  const doc = JSON.parse(json) as { nftables?: Array<{ flowtable?: { family: string; table: string; name: string; dev?: string | string[] } }> };
  for (const o of doc.nftables ?? []) {
    const ft = o.flowtable;
    if (!ft) continue;
    const devs = Array.isArray(ft.dev) ? ft.dev : ft.dev ? [ft.dev] : [];
    if (devs.includes(guestInterface)) {
      return `flow offloading is on for ${guestInterface} (flowtable ${ft.family} ${ft.table} ${ft.name}): offloaded guest flows bypass metering and shaping; turn off flow_offloading in /etc/config/firewall or keep ${guestInterface} out of the offloaded zone`;
    }
  }
  return null;
}
