import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeIn, run, runDaemon, startLogged, waitFor } from './proc.js';
import { distFile } from './paths.js';

/** A node server of the testbed, run in a namespace, with its pid file. */
export function startNodeServer(ns: string, stateDir: string, name: string, script: string, args: string[] = []): number {
  const child = startLogged('ip', nodeIn(ns, distFile(script), ...args), join(stateDir, `${name}.log`));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  writeFileSync(join(stateDir, `${name}.pid`), `${child.pid}\n`);
  return child.pid;
}

export async function startIperf(ns: string, stateDir: string): Promise<void> {
  const log = join(stateDir, 'iperf3.log');
  const code = await runDaemon('ip', ['netns', 'exec', ns, 'iperf3', '-s', '-D', '-p', '5201', '-I', join(stateDir, 'iperf3.pid'), '--logfile', log], log);
  if (code !== 0) throw new Error(`iperf3 -s exited ${code}; see ${log}`);
}

async function listeningTcp(ns: string): Promise<Set<number>> {
  const r = await run('ss', ['-N', ns, '-Hltn']);
  const ports = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const port = local?.slice(local.lastIndexOf(':') + 1);
    if (port) ports.add(Number(port));
  }
  return ports;
}

/** Daemons that fork (iperf3 -D) or servers just spawned are ready only once their port listens. */
export function waitListening(ns: string, ports: readonly number[], timeoutMs = 10_000): Promise<true> {
  return waitFor(`tcp ports ${ports.join(',')} in ${ns}`, timeoutMs, async () => {
    const open = await listeningTcp(ns);
    return ports.every((p) => open.has(p)) ? true : undefined;
  });
}
