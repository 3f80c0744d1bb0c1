/**
 * Helpers for scripts/bench-counters (which does the timing):
 *   node dist/bench/counters.js render N   prints the agent's real ruleset with N granted sessions
 *   node dist/bench/counters.js check NS   exits 0 when the native reader and nft read the same in netns NS
 */
import { isDeepStrictEqual } from 'node:util';
import { NativeCounterReader, NftCounterReader, TREE_NATIVE_READER } from '../agent/src/gate/counter-reader.js';
import { renderAddCounters, renderGrantElements, renderStatic } from '../agent/src/gate/nft-script.js';
import { runProcess, type CommandRunner } from '../agent/src/kernel/run.js';

function render(n: number): string {
  const policy = {
    guestInterface: 'br-guest',
    portalPort: 8088,
    walled4: ['198.51.100.7'],
    walled6: [],
    blocked4: ['10.0.0.0/8', '192.168.0.0/16'],
    blocked6: ['fc00::/7'],
  };
  const lines: string[] = [];
  for (let id = 1; id <= n; id++) {
    const mac = `02:20:00:00:${((id >> 8) & 0xff).toString(16).padStart(2, '0')}:${(id & 0xff).toString(16).padStart(2, '0')}`;
    // classMinor is what the shaper gives a session; 1:0 and 1:1 are its own classes.
    const grant = { sessionId: id, mac, classMinor: id + 1 };
    lines.push(...renderAddCounters(id), ...renderGrantElements(grant));
  }
  return renderStatic(policy) + lines.join('\n') + '\n';
}

async function check(ns: string): Promise<void> {
  const runner: CommandRunner = { run: (argv, input) => runProcess(['nsenter', `--net=/run/netns/${ns}`, ...argv], input) };
  const native = await new NativeCounterReader(runner, TREE_NATIVE_READER).read();
  const nft = await new NftCounterReader(runner).read();
  if (!native || !isDeepStrictEqual(native, nft)) throw new Error('native reader and nft disagree');
  process.stdout.write(`readers agree on ${native.size} sessions\n`);
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'render') process.stdout.write(render(Number(arg ?? 1000)));
else if (cmd === 'check' && arg) await check(arg);
else {
  process.stderr.write('usage: counters.js render N | check NETNS\n');
  process.exit(2);
}
