import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tb from '../scripts/lib/testbed/index.js';
import { TREE_NATIVE_READER } from '../agent/src/gate/counter-reader.js';
import { call, fakeLeases, fakeMac, udpArrivals } from '../bench/lib.js';
import { useTestbed } from './helpers/testbed.js';

/**
 * A guest's auth completes, and its first packet is forwarded, while a poll
 * of 1,000 sessions is still reading the counters: the poll holds no lock
 * (issue 20). The counter reader is slowed down on purpose (each reading
 * 400 ms late) so the poll is certainly in flight when the auth arrives.
 */
const ID = 'authpoll';
const DELAY_S = 0.4;

t.test('an auth completes while a poll at 1,000 sessions is in flight', async (t) => {
  const bed = await useTestbed(t, ID, { clients: 1, fakeGuests: true });
  const c1 = bed.clients[0]!;
  const slow = join(bed.stateDir, 'slow');
  mkdirSync(slow, { recursive: true });
  const reader = join(slow, 'qlink-counters');
  writeFileSync(
    reader,
    `#!/bin/sh
# The real reader, every request ${DELAY_S} s late.
case " $* " in
  *" --serve "*) while IFS= read -r l; do sleep ${DELAY_S}; printf '%s\\n' "$l"; done | exec ${TREE_NATIVE_READER} "$@" ;;
  *) sleep ${DELAY_S}; exec ${TREE_NATIVE_READER} "$@" ;;
esac
`,
  );
  chmodSync(reader, 0o755);
  const leases = join(bed.stateDir, 'fake.leases');
  const expiry = Math.floor(Date.now() / 1000) + 86_400;
  const fakes = fakeLeases(1000, expiry);
  writeFileSync(leases, [`${expiry} ${c1.mac} ${c1.ip4} c1 *`, ...fakes].join('\n') + '\n');
  const info = await tb.agentStart(ID, { leasesFile: leases, nativeCounters: reader, pollIntervalMs: 5000, shaping: { enabled: false } });
  const sock = info.agent!.socket;
  for (let i = 0; i < fakes.length; i += 8) await Promise.all(fakes.slice(i, i + 8).map((l) => call(sock, { cmd: 'auth', guest: fakeMac(l) })));
  const status = (await call(sock, { cmd: 'status' })) as { sessions: number };
  t.equal(status.sessions, 1000, '1,000 sessions');

  const udp = udpArrivals(tb, ID, 'c1', bed.upstream.ip4);
  try {
    const at = () => performance.timeOrigin + performance.now();
    // The stream is flowing (its sender has started) before the measured auth: let it through once, then hold it again.
    await call(sock, { cmd: 'auth', guest: c1.mac });
    await udp.firstAfter(at());
    await call(sock, { cmd: 'deauth', guest: c1.mac });
    await new Promise((r) => setTimeout(r, 100));
    // `clients` meters on demand: it runs a whole poll, whose counter reading takes DELAY_S.
    const pollStart = at();
    const poll = call(sock, { cmd: 'clients' }).then(() => at());
    await new Promise((r) => setTimeout(r, 80));
    const authStart = at();
    const firstPacket = udp.firstAfter(authStart);
    await call(sock, { cmd: 'auth', guest: c1.mac });
    const authDone = at();
    const packet = await firstPacket;
    const pollDone = await poll;
    t.ok(pollDone - pollStart >= DELAY_S * 1000, `the poll took ${(pollDone - pollStart).toFixed(0)} ms (its reading is ${DELAY_S * 1000} ms late)`);
    t.ok(authDone < pollDone, `the auth returned ${(pollDone - authDone).toFixed(0)} ms before the poll ended`);
    t.ok(packet < pollDone, `the guest's first packet was forwarded ${(pollDone - packet).toFixed(0)} ms before the poll ended`);
    t.ok(authDone - authStart < 200, `the auth itself took ${(authDone - authStart).toFixed(1)} ms (first packet after ${(packet - authStart).toFixed(1)} ms)`);
  } finally {
    udp.stop();
  }
});
