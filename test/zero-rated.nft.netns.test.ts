import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import * as tb from '../scripts/lib/testbed/index.js';
import { batchSchema, recordsRoot } from '../protocol/src/index.js';
import { client, curlArgs, qlink, sh, sleep, useTestbed } from './helpers/testbed.js';

/**
 * Zero-rated destinations (issue 19, item 2) on the nftables gate: a plan
 * zero-rates a host name of "the internet" (zr.test, an address of its own in
 * the upstream namespace) and an address prefix. The guest's lookups through
 * the router put the name's addresses in the gate's sets (dnsmasq --nftset);
 * its bytes are counted apart, priced at nothing in the usage records, and
 * shaped in the guest's one class with the rest of its traffic. The credit-out
 * half is test/zero-rated-credit.nft.netns.test.ts (on a real chain).
 */
const ID = 'zerort';
const MB = 1_000_000;
const ZR4 = '203.0.113.20';
const ZR6 = '2001:db8:ff::20';
const PREFIX_HOST = '203.0.113.30';
const PRICE_PER_MB = 10_000; // 0.0001 GAS
const RATE = 8e6; // 8 Mbit/s down: 1 MB/s

t.test('zero-rated destinations: counted apart, never charged, shaped with the rest', async (t) => {
  const bed = await useTestbed(t, ID, {
    clients: 1,
    agent: true,
    // The router's resolver knows zr.test (as "the internet" would); every other name is the upstream host.
    dnsmasqExtra: [`address=/zr.test/${ZR4}`, `address=/zr.test/${ZR6}`],
    agentConfig: {
      backend: 'nftables',
      usage: { recordIntervalMs: 1000, batchIntervalMs: 1000 },
      chain: { networkMagic: 1903980139, contract: '0x218642d807b2cbe2adb53c9061afd99f154e9479' },
      plans: [{ id: 'chat', name: 'Free chat', pricePerMb: '0.0001', down: '8mbit', up: '8mbit', zeroRated: ['zr.test', `${PREFIX_HOST}/32`] }],
    },
  });
  const [c1] = bed.clients as [tb.ClientInfo];
  const up = bed.upstream;
  t.equal(
    (await sh(ID, 'upstream', `ip addr add ${ZR4}/24 dev eth0 && ip addr add ${PREFIX_HOST}/24 dev eth0 && ip -6 addr add ${ZR6}/64 dev eth0 nodad`)).code,
    0,
    "the upstream has the zero-rated host's addresses",
  );
  const a = await qlink(ID, ['auth', c1.mac, '--plan', 'chat', '--json']);
  t.equal(a.code, 0, a.stderr);
  const sessionId = JSON.parse(a.stdout).sessionId as number;

  const get = async (url: string, extra: string[] = []) => {
    const r = await tb.exec(ID, c1.name, curlArgs(url, [...extra, '-w', '%{http_code} %{size_download} %{time_total}']), { timeoutMs: 60_000 });
    const [code, size, secs] = r.stdout.split(' ');
    return { code, size: Number(size), secs: Number(secs), err: r.stderr };
  };

  await t.test('IPv4 and IPv6 downloads from the zero-rated name are counted apart, within the metering bounds', async (t) => {
    for (const fam of ['-4', '-6']) {
      const before = await client(ID, c1.mac);
      const r = await get(`http://zr.test/bytes/${3 * MB}`, [fam]);
      t.equal(`${r.code} ${r.size}`, `200 ${3 * MB}`, `downloaded over IPv${fam.slice(1)} ${r.err}`);
      const after = await client(ID, c1.mac);
      const zero = after.zeroDown - before.zeroDown;
      const charged = after.bytesDown - before.bytesDown;
      t.ok(zero >= 3 * MB && zero <= 3 * MB * 1.05, `IPv${fam.slice(1)}: ${zero} zero-rated bytes counted for ${3 * MB}`);
      t.ok(charged < 0.01 * 3 * MB, `IPv${fam.slice(1)}: ${charged} of them in the charged counters`);
    }
    const view = await client(ID, c1.mac); // polls the counters first, so the page reads the same totals
    const page = JSON.parse((await sh(ID, c1.name, `curl -4 -sS -m 5 http://${bed.router.lan4}:8088/api/state`)).stdout) as {
      zeroBytesUsed: number;
      bytesUsed: number;
    };
    t.equal(
      page.zeroBytesUsed,
      view.zeroDown + view.zeroUp,
      `the guest's page shows its ${page.zeroBytesUsed} zero-rated bytes apart from the ${page.bytesUsed} it pays for`,
    );
    const sets = await sh(ID, 'router', 'nft list set inet qlink zd4_1; nft list set inet qlink zd6_1');
    t.match(sets.stdout, new RegExp(ZR4.replaceAll('.', '\\.')), "the router's resolver put the IPv4 address in the zone's set");
    t.match(sets.stdout, new RegExp(ZR6), 'and the IPv6 one');
  });

  await t.test('a zero-rated prefix is free too; another host is charged', async (t) => {
    const before = await client(ID, c1.mac);
    const p = await get(`http://${PREFIX_HOST}/bytes/${2 * MB}`);
    t.equal(`${p.code} ${p.size}`, `200 ${2 * MB}`, p.err);
    const mid = await client(ID, c1.mac);
    t.ok(
      mid.zeroDown - before.zeroDown >= 2 * MB && mid.zeroDown - before.zeroDown <= 2 * MB * 1.05,
      `the prefix's ${mid.zeroDown - before.zeroDown} bytes are zero-rated`,
    );
    const o = await get(`http://other.test/bytes/${2 * MB}`);
    t.equal(`${o.code} ${o.size}`, `200 ${2 * MB}`, o.err);
    const after = await client(ID, c1.mac);
    const charged = after.bytesDown - mid.bytesDown;
    t.ok(charged >= 2 * MB && charged <= 2 * MB * 1.05, `the other host's ${charged} bytes are charged`);
    t.ok(after.zeroDown - mid.zeroDown < 0.01 * 2 * MB, `and ${after.zeroDown - mid.zeroDown} of them zero-rated`);
    t.equal(o.code, '200', `other.test is ${up.ip4}, not zero-rated`);
  });

  await t.test("shaped with the rest: the zero-rated download alone, and both at once, within the plan's 8 Mbit/s", async (t) => {
    const alone = await get(`http://zr.test/bytes/${4 * MB}`, ['-4']);
    const mbps = (bytes: number, secs: number) => (bytes * 8) / secs / 1e6;
    t.ok(mbps(alone.size, alone.secs) <= (RATE / 1e6) * 1.1, `zero-rated alone: ${mbps(alone.size, alone.secs).toFixed(2)} Mbit/s (plan 8)`);
    t.ok(mbps(alone.size, alone.secs) >= (RATE / 1e6) * 0.7, 'and not starved');
    const started = Date.now();
    const [z, o] = await Promise.all([get(`http://zr.test/bytes/${3 * MB}`, ['-4']), get(`http://${up.ip4}/bytes/${3 * MB}`)]);
    const secs = (Date.now() - started) / 1000;
    t.equal(`${z.code} ${o.code}`, '200 200');
    t.ok(mbps(z.size + o.size, secs) <= (RATE / 1e6) * 1.1, `both together: ${mbps(z.size + o.size, secs).toFixed(2)} Mbit/s in one class (plan 8)`);
  });

  await t.test('kill -9 of the agent: the restart adopts the zoned grant as it is, and zero-rated bytes go on counting', async (t) => {
    const before = await client(ID, c1.mac);
    t.ok((await tb.agentKill(ID)).pid, 'agent killed');
    await tb.agentStart(ID);
    const log = (await sh(ID, 'router', `grep -a 'gate adopted' ${join(bed.stateDir, 'agent.log')} | tail -1`)).stdout;
    t.match(log, /"granted":0,"revoked":0/, "the kernel's zoned grant was read back whole: nothing re-granted");
    const r = await get(`http://zr.test/bytes/${MB}`, ['-4']);
    t.equal(r.code, '200');
    const after = await client(ID, c1.mac);
    t.equal(after.sessionId, before.sessionId, 'the same session');
    t.ok(
      after.zeroDown - before.zeroDown >= MB && after.zeroDown - before.zeroDown <= MB * 1.05,
      `${after.zeroDown - before.zeroDown} more zero-rated bytes counted for ${MB}`,
    );
  });

  await t.test('the usage records carry the zero-rated bytes apart and price only the charged ones', async (t) => {
    await qlink(ID, ['deauth', c1.mac]);
    await sleep(2500); // the batch interval: the last records sealed
    const db = new Database(join(bed.stateDir, 'agent-data', 'qlink.db'), { readonly: true, fileMustExist: true });
    try {
      const r = db
        .prepare(`SELECT SUM(bytes_down + bytes_up) AS charged, SUM(zero_down + zero_up) AS zero, SUM(zero_down) AS zdown, SUM(cost) AS cost, COUNT(*) AS n
        FROM usage_records WHERE session_id = ?`)
        .get(sessionId) as { charged: number; zero: number; zdown: number; cost: number; n: number };
      const s = db.prepare('SELECT bytes_down + bytes_up AS charged, zero_down + zero_up AS zero FROM sessions WHERE id = ?').get(sessionId) as {
        charged: number;
        zero: number;
      };
      t.equal(r.charged, s.charged, `${r.n} records carry the session's ${s.charged} charged bytes`);
      t.equal(r.zero, s.zero, `and its ${s.zero} zero-rated bytes apart`);
      t.ok(r.zdown >= 14.5 * MB, `${r.zdown} zero-rated bytes down in all (3 + 3 + 2 + 4 + 3 + 1 MB fetched)`);
      t.equal(
        r.cost,
        Math.ceil((PRICE_PER_MB * r.charged) / 1e6),
        `cost ${r.cost}: the charged bytes' price, nothing for the zero-rated (${Math.ceil((PRICE_PER_MB * r.zero) / 1e6)} if they were)`,
      );
      // The batches as they leave for the gateway: valid on the wire, zero-rated bytes in version-2 records, roots that verify.
      const batches = (db.prepare('SELECT payload FROM usage_outbox ORDER BY seq').all() as Array<{ payload: string }>).map((x) =>
        batchSchema.parse(JSON.parse(x.payload)),
      );
      const mine = batches.flatMap((b) => b.records).filter((x) => x.sessionId === sessionId);
      t.equal(mine.length, r.n, `every record of the session is in a batch (${batches.length} batches)`);
      t.equal(
        mine.reduce((n, x) => n + (x.zeroDown ?? 0) + (x.zeroUp ?? 0), 0),
        r.zero,
        'the batches carry the zero-rated bytes',
      );
      t.ok(
        batches.every((b) => recordsRoot(b.router, b.records) === b.root),
        "each batch's root is over its records as sent",
      );
    } finally {
      db.close();
    }
  });
});
