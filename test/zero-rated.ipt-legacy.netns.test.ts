import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { iptBackend } from './suites/backends.js';
import { client, curlArgs, qlink, sh, useTestbed } from './helpers/testbed.js';

/**
 * The iptables backend has no zero-rating (docs/gate.md, "Zero-rated
 * destinations"): a zoned plan's traffic is charged like the rest, never let
 * through free, and the agent says so in its log.
 */
const ID = 'zeroipt';
const MB = 1_000_000;
const ZR4 = '203.0.113.22';

t.test("iptables: a plan's zero-rated destinations are charged like the rest, and the log says why", async (t) => {
  const backend = iptBackend('legacy');
  const bed = await useTestbed(t, ID, {
    clients: 1,
    agent: true,
    dnsmasqExtra: [`address=/zr.test/${ZR4}`],
    agentConfig: {
      ...backend.agentConfig,
      plans: [{ id: 'chat', name: 'Free chat', pricePerMb: '0.0001', zeroRated: ['zr.test'], zeroRatedWithoutCredit: true }],
    },
  });
  const [c1] = bed.clients as [tb.ClientInfo];
  t.equal((await sh(ID, 'upstream', `ip addr add ${ZR4}/24 dev eth0`)).code, 0);
  t.equal((await qlink(ID, ['auth', c1.mac, '--plan', 'chat'])).code, 0);
  const before = await client(ID, c1.mac);
  const r = await tb.exec(ID, c1.name, curlArgs(`http://zr.test/bytes/${2 * MB}`, ['-4']), { timeoutMs: 60_000 });
  t.match(r.stdout, new RegExp(`^200 ${2 * MB} `), r.stderr);
  const after = await client(ID, c1.mac);
  const charged = after.bytesDown - before.bytesDown;
  t.ok(charged >= 2 * MB && charged <= 2 * MB * 1.05, `${charged} bytes charged for ${2 * MB} from the zero-rated name`);
  t.equal(after.zeroDown, 0, 'none counted as zero-rated');
  t.match(
    readFileSync(join(bed.stateDir, 'agent.log'), 'utf8'),
    /zero-rated destinations need the nftables backend: charged like the rest/,
    'the log says why',
  );
  t.notMatch((await sh(ID, 'router', 'ss -lun')).stdout, /:5454\b/, "no paying guests' resolver is started for it");
});
