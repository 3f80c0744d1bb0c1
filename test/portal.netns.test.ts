import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tb from '../scripts/lib/testbed/index.js';
import { dnsmasqCaptiveLines, portalConfigSchema } from '../agent/src/portal/config.js';
import { qlink, sh, useTestbed } from './helpers/testbed.js';
import { ensurePortalBuilt, selfSigned } from './helpers/portal.js';

const ID = 'ptl';
const HOST = 'portal.qlink.test';
const PORT = 8088;

/** What each OS probe expects from the open internet: status, and a body or header that proves it. */
const PROBES: Array<{ os: string; url: string; online: RegExp }> = [
  { os: 'Android', url: 'http://connectivitycheck.gstatic.com/generate_204', online: /^204\b/ },
  { os: 'ChromeOS', url: 'http://clients3.google.com/generate_204', online: /^204\b/ },
  { os: 'Apple', url: 'http://captive.apple.com/hotspot-detect.html', online: /^200\b.*<BODY>Success<\/BODY>/s },
  { os: 'Apple (success.html)', url: 'http://www.apple.com/library/test/success.html', online: /^200\b.*Success/s },
  { os: 'Windows', url: 'http://www.msftconnecttest.com/connecttest.txt', online: /^200\b.*Microsoft Connect Test$/s },
  { os: 'Windows (v6 host)', url: 'http://ipv6.msftconnecttest.com/connecttest.txt', online: /^200\b.*Microsoft Connect Test$/s },
  { os: 'Windows (NCSI)', url: 'http://www.msftncsi.com/ncsi.txt', online: /^200\b.*Microsoft NCSI$/s },
  { os: 'Firefox', url: 'http://detectportal.firefox.com/success.txt', online: /^200\b.*success/s },
  { os: 'NetworkManager', url: 'http://nmcheck.gnome.org/check_network_status.txt', online: /^200\b.*NetworkManager is online/s },
];

const probe = async (url: string) =>
  (
    await sh(ID, 'c1', `curl -4 -sS -m 10 -o /tmp/qlink-probe-body -w '%{http_code} %{redirect_url}\\n' '${url}'; cat /tmp/qlink-probe-body 2>/dev/null`)
  ).stdout.trim();

t.test('OS probes before and after payment, option 114 in the lease, RFC 8908 over HTTPS', async (t) => {
  ensurePortalBuilt();
  const cert = selfSigned(HOST);
  const portal = portalConfigSchema.parse({ port: PORT, hostname: HOST, ...cert });
  const bed = await useTestbed(t, ID, {
    clients: 1,
    agent: true,
    dnsmasqExtra: dnsmasqCaptiveLines(portal),
    agentConfig: { portal: { port: PORT, hostname: HOST, ...cert }, plans: [{ id: 'hour', name: 'Hour', minutes: 60 }] },
  });
  const c1 = bed.clients[0]!;

  // A fresh lease that asks for option 114, as a client that knows RFC 8910 does.
  const dhcpLog = join(bed.stateDir, 'dhcp-114.log');
  const lease = await tb.exec(
    ID,
    'c1',
    ['udhcpc', '-i', 'eth0', '-n', '-q', '-t', '5', '-T', '1', '-O', '114', '-s', join(process.cwd(), 'scripts/lib/testbed/udhcpc.sh')],
    { env: { QLINK_DHCP_LOG: dhcpLog }, timeoutMs: 20_000 },
  );
  t.equal(lease.code, 0, lease.stderr);
  // busybox hands an option it has no name for to the script as hex.
  const hex = /opt114=([0-9a-f]+)/.exec(readFileSync(dhcpLog, 'utf8'))?.[1] ?? '';
  t.equal(Buffer.from(hex, 'hex').toString('utf8'), `https://${HOST}:${PORT}/api/captive`, 'the lease carries the API URI');

  for (const p of PROBES) {
    const r = await probe(p.url);
    t.match(r, new RegExp(`^302 http://${bed.router.lan4.replace(/\./g, '\\.')}:${PORT}/`), `${p.os}: redirected to the portal before payment`);
  }
  const api = (await sh(ID, 'c1', `curl -sS -m 10 -k --resolve ${HOST}:${PORT}:${bed.router.lan4} -D - https://${HOST}:${PORT}/api/captive`)).stdout;
  t.match(api, /content-type: application\/captive\+json/i, 'API media type');
  t.match(api, /"captive":true,"user-portal-url":"https:\/\/portal\.qlink\.test:8088\/"/, 'captive before payment');

  const auth = await qlink(ID, ['auth', c1.mac, '--plan', 'hour']);
  t.equal(auth.code, 0, auth.stderr);
  for (const p of PROBES) {
    // The gate no longer redirects this guest: the answer comes from the real upstream, as on the open internet.
    t.match(await probe(p.url), p.online, `${p.os}: open-internet answer after payment`);
  }
  const after = JSON.parse(
    (await sh(ID, 'c1', `curl -sS -m 10 -k --resolve ${HOST}:${PORT}:${bed.router.lan4} https://${HOST}:${PORT}/api/captive`)).stdout,
  ) as Record<string, unknown>;
  t.equal(after.captive, false, 'not captive after payment');
  t.ok(typeof after['seconds-remaining'] === 'number' && (after['seconds-remaining'] as number) > 3500, 'seconds-remaining');
  t.equal(after['can-extend-session'], true);

  // Malformed HTTP from a guest: clear errors, the agent keeps running.
  const base = `http://${bed.router.lan4}:${PORT}`;
  const bad = (
    await sh(
      ID,
      'c1',
      [
        `curl -s -o /dev/null -w '%{http_code} ' -H 'content-type: application/json' --data '{bad' ${base}/api/voucher`,
        `head -c 100000 /dev/zero | curl -s -o /dev/null -w '%{http_code} ' -H 'content-type: application/json' --data-binary @- ${base}/api/voucher`,
        `curl -s -o /dev/null -w '%{http_code} ' --path-as-is ${base}/../../etc/passwd`,
      ].join('; '),
    )
  ).stdout.trim();
  t.equal(bad, '400 413 400', 'bad JSON, huge body, path climbing');
  t.match(await probe(`${base}/`), /^200\b/, 'still serving');
  t.ok(tb.info(ID).agent?.pid, 'the agent is running');
});
