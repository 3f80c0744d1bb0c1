import t from 'tap';
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as tb from '../scripts/lib/testbed/index.js';

const id = `tt${process.pid}`;
// A run under QLINK_TESTBED_PREFIX (a second suite run on the machine) puts it before the id.
const prefix = `ql-${process.env.QLINK_TESTBED_PREFIX ?? ''}${id}-`;

const leftovers = (): string[] => {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
  let etc: string[] = [];
  try {
    etc = readdirSync('/etc/netns');
  } catch {
    /* none at all */
  }
  return [...netns, ...etc].filter((n) => n.startsWith(prefix));
};

const curl = (host: string, ...args: string[]) => tb.exec(id, host, ['curl', '-sS', '-m', '5', ...args]);

t.test('testbed: two guests, the internet and the router', async (t) => {
  t.teardown(() => tb.down(id));
  const started = Date.now();
  const info = await tb.up({ id, clients: 2 });
  t.comment(`up in ${Date.now() - started} ms`);

  t.equal(info.router.ns, `${prefix}router`);
  t.equal(info.upstream.ns, `${prefix}up`);
  t.same(
    info.clients.map((c) => c.name),
    ['c1', 'c2'],
  );
  for (const c of info.clients) {
    t.match(c.ip4, /^10\.250\.0\.1[0-9][0-9]$/, `${c.name} got IPv4 by DHCP`);
    t.match(c.ip6, /^2001:db8:1:/, `${c.name} got IPv6 by SLAAC`);
  }
  t.not(info.clients[0]?.mac, info.clients[1]?.mac, 'distinct MACs');
  t.same(tb.info(id).clients, info.clients, 'info() reads the state back');

  const v4 = await curl('c1', '-4', 'http://example.com/');
  t.equal(v4.stdout, 'upstream ok', `by name over IPv4 ${v4.stderr}`);
  const v6 = await curl('c1', '-6', 'http://neo.org/');
  t.equal(v6.stdout, 'upstream ok', `by name over IPv6 ${v6.stderr}`);

  const n = 12_345_678;
  const bytes = await curl('c2', '-o', '/dev/null', '-w', '%{size_download} %{http_code}', `http://[${info.upstream.ip6}]/bytes/${n}`);
  t.equal(bytes.stdout, `${n} 200`, '/bytes/N returns N bytes');
  const up = await tb.exec(id, 'c1', ['curl', '-sS', '-m', '5', '--data-binary', '@-', 'http://upstream.test/upload'], { input: 'x'.repeat(1000) });
  t.same(JSON.parse(up.stdout), { bytes: 1000 }, 'POST /upload counts the body');

  const apple = '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>';
  const probes: [string, string, string][] = [
    ['connectivitycheck.gstatic.com', '/generate_204', '204 '],
    ['clients3.google.com', '/gen_204', '204 '],
    ['captive.apple.com', '/hotspot-detect.html', `200 ${apple}`],
    ['www.apple.com', '/library/test/success.html', `200 ${apple}`],
    ['www.msftconnecttest.com', '/connecttest.txt', '200 Microsoft Connect Test'],
    ['www.msftncsi.com', '/ncsi.txt', '200 Microsoft NCSI'],
    ['detectportal.firefox.com', '/success.txt', '200 success\n'],
    ['nmcheck.gnome.org', '/check_network_status.txt', '200 NetworkManager is online\n'],
  ];
  for (const [host, path, want] of probes) {
    const r = await curl('c1', '-w', '\n%{http_code}', `http://${host}${path}`);
    const cut = r.stdout.lastIndexOf('\n');
    t.equal(`${r.stdout.slice(cut + 1)} ${r.stdout.slice(0, cut)}`, want, `probe ${path} ${r.stderr}`);
  }

  const iperf = await tb.exec(id, 'c2', ['iperf3', '-c', info.upstream.ip4, '-n', '1M', '-J'], { timeoutMs: 10_000 });
  t.equal(iperf.code, 0, `iperf3 server reachable ${iperf.stderr}`);

  const ssh = await tb.exec(id, 'router', ['bash', '-c', `exec 3<>/dev/tcp/${info.router.lan4}/22 && head -c 17 <&3`]);
  t.equal(ssh.stdout, 'SSH-2.0-testbed\r\n', "the router's ssh stand-in answers");
  const luci = await tb.exec(id, 'router', ['curl', '-sS', '-m', '5', `http://${info.router.lan4}/`]);
  t.equal(luci.stdout, 'LuCI', "the router's LuCI stand-in answers");
  const env = await tb.exec(id, 'router', ['sh', '-c', 'echo "$QLINK_SOCKET"']);
  t.equal(env.stdout.trim(), `${info.stateDir}/qlink.sock`, 'router commands know the agent socket');

  const code = await tb.exec(id, 'c1', ['sh', '-c', 'exit 3']);
  t.equal(code.code, 3, 'exit codes pass through');
});

t.test('testbed: down leaves nothing behind', async (t) => {
  await tb.down(id);
  t.same(leftovers(), [], 'no namespace and no /etc/netns entry left');
  t.same(await tb.down(id), [], 'down twice is harmless');
});
