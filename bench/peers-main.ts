/** scripts/bench-peers: openNDS's figures alone (bench/peers.ts); --json prints them as bench-gate names them. */
import { parseArgs } from 'node:util';
import { openNdsFigures } from './peers.js';

const { values: o } = parseArgs({
  options: {
    opennds: { type: 'string' },
    json: { type: 'boolean' },
    rounds: { type: 'string' },
    auths: { type: 'string' },
    max: { type: 'string' },
    checkinterval: { type: 'string' },
  },
});
if (!o.opennds) {
  process.stderr.write('usage: scripts/bench-peers --opennds DIR [--json] [--max 500|1000] [--rounds N] [--auths N] [--checkinterval S]\n');
  process.exit(2);
}
const say = (s: string) => process.stderr.write(s + '\n');
const figures = await openNdsFigures(o.opennds, {
  rounds: Number(o.rounds ?? 5),
  auths: Number(o.auths ?? 30),
  max: Number(o.max ?? 1000),
  checkInterval: o.checkinterval ? Number(o.checkinterval) : undefined,
  say,
});
if (o.json)
  process.stdout.write(
    JSON.stringify(
      [...figures].map(([name, f]) => ({ name, ...f })),
      null,
      2,
    ) + '\n',
  );
else for (const [name, f] of figures) process.stdout.write(`openNDS ${name}: ${f.value} ${f.unit}${f.note ? ` — ${f.note}` : ''}\n`);
