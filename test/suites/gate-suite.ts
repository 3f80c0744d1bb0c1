import type { Test } from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import type { BackendUnderTest } from './backends.js';
import { client, qlink, sh, tcpProbe, udpProbe, useTestbed } from '../helpers/testbed.js';

/** The gate issue's acceptance, against one backend. */
export async function gateSuite(t: Test, ID: string, backend: BackendUnderTest): Promise<void> {
  const bed = await useTestbed(t, ID, { clients: 2, agent: true, agentConfig: backend.agentConfig });
  const [c1, c2] = bed.clients as [tb.ClientInfo, tb.ClientInfo];
  const up = bed.upstream;
  const http = (host: string, url: string) => sh(ID, host, `curl -sS -g -m 5 -D - ${url}`);

  const heldChecks = async (t: Test, when: string) => {
    for (const addr of [up.ip4, `[${up.ip6}]`]) {
      const r = await http('c1', `http://${addr}/anything`);
      t.match(r.stdout, /x-qlink-portal: 1/i, `${when}: HTTP to ${addr} lands on the portal`);
      t.notMatch(r.stdout, /upstream ok/);
    }
    for (const addr of [up.ip4, up.ip6]) {
      const p = await tcpProbe(ID, 'c1', addr, 5201);
      t.equal(p.result, 'refused', `${when}: other TCP to ${addr} is reset`);
      t.ok(p.ms < 1000, `${when}: refused in ${p.ms} ms (< 1 s)`);
      t.match(await udpProbe(ID, 'c1', addr, 9999), /^(ECONNREFUSED|EHOSTUNREACH|EACCES)$/, `${when}: UDP to ${addr} gets an ICMP error`);
    }
    // Held guests' names outside the walled garden all point at the portal (issue 16): the probes still find it.
    const dns = await sh(ID, 'c1', 'getent ahostsv4 any.example.org | head -1');
    t.match(dns.stdout, new RegExp(`^${bed.router.lan4.replace(/\./g, '\\.')}`), `${when}: DNS answers with the portal`);
    const dns6 = await sh(ID, 'c1', 'getent ahostsv6 any.example.org | head -1');
    t.match(dns6.stdout, new RegExp(`^${bed.router.lan6}`), `${when}: DNS answers AAAA with the portal`);
    const dhcp = await sh(ID, 'c1', 'udhcpc -i eth0 -n -q -f -s /bin/true -t 3 -T 1 2>&1');
    t.equal(dhcp.code, 0, `${when}: DHCP answers: ${dhcp.stdout.split('\n').pop()}`);
  };

  await t.test('a guest without a session is held', async (t) => {
    await heldChecks(t, 'held');
  });

  await t.test('after qlink auth the same requests reach the upstream, v4 and v6', async (t) => {
    const a = await qlink(ID, ['auth', c1.ip4, '--json']);
    t.equal(a.code, 0, a.stderr);
    t.equal(JSON.parse(a.stdout).state, 'authorized');
    for (const addr of [up.ip4, `[${up.ip6}]`]) {
      t.match((await http('c1', `http://${addr}/anything`)).stdout, /upstream ok/, `HTTP to ${addr} reaches the upstream`);
    }
    for (const addr of [up.ip4, up.ip6]) t.equal((await tcpProbe(ID, 'c1', addr, 5201)).result, 'open', `TCP 5201 on ${addr} opens`);
    t.match((await http('c1', 'http://probe.example/generate_204')).stdout, /^HTTP\/1\.1 204/, 'the probe answers as the open internet');
    t.match((await http('c2', `http://${up.ip4}/anything`)).stdout, /x-qlink-portal/i, 'the other guest is still held');
  });

  await t.test("guests never reach each other, the router's services, or the home network", async (t) => {
    for (const [who, state] of [
      ['c1', 'authorized'],
      ['c2', 'held'],
    ] as const) {
      const other = who === 'c1' ? c2 : c1;
      t.not((await tcpProbe(ID, who, other.ip4, 22)).result, 'open', `${state} ${who} cannot reach ${other.name} over v4`);
      for (const addr of [other.ip4, other.ip6]) {
        const ping = await sh(ID, who, `ping -c1 -W1 ${addr}`);
        t.match(ping.stdout, /, 100% packet loss/, `${state} ${who} cannot ping ${other.name} at ${addr}`);
      }
      t.not((await tcpProbe(ID, who, bed.router.lan4, 22)).result, 'open', `${state} ${who} cannot reach the router's ssh`);
      t.not((await tcpProbe(ID, who, bed.router.lan6, 22)).result, 'open', `${state} ${who} cannot reach the router's ssh over v6`);
      t.notMatch((await http(who, `http://${bed.router.lan4}/`)).stdout, /LuCI/, `${state} ${who} never sees LuCI`);
      t.not((await tcpProbe(ID, who, up.home4, 5201)).result, 'open', `${state} ${who} cannot open TCP to the home network`);
      t.notMatch((await http(who, `http://${up.home4}/`)).stdout, /upstream ok/, `${state} ${who} gets no HTTP from the home network`);
    }
    t.equal((await tcpProbe(ID, 'router', up.home4, 80)).result, 'open', 'the home address is really there');
    t.equal((await tcpProbe(ID, 'router', bed.router.lan4, 22)).result, 'open', 'the router ssh stand-in is really there');
  });

  await t.test('after qlink deauth the guest is held again, open connections included', async (t) => {
    // A download the guest only reads (it sends nothing but ACKs) and an upload it keeps sending on.
    const down = tb.spawn(ID, 'c1', [
      'curl',
      '-sS',
      '-m',
      '12',
      '--limit-rate',
      '300k',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
      `http://${up.ip4}/bytes/50000000`,
    ]);
    const up6 = tb.spawn(ID, 'c1', ['iperf3', '-c', up.ip6, '-t', '30', '-b', '2M', '--connect-timeout', '2000']);
    let downOut = '';
    down.stdout!.on('data', (d) => {
      downOut += d;
    });
    const downDone = new Promise<void>((r) => down.on('exit', () => r()));
    const upDone = new Promise<number | null>((r) => up6.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 2000));
    const d = await qlink(ID, ['deauth', c1.mac, '--json']);
    t.equal(d.code, 0, d.stderr);
    const countedAtDeauth = JSON.parse(d.stdout).bytesDown as number;
    const started = Date.now();
    const upCode = await Promise.race([upDone, new Promise<string>((r) => setTimeout(() => r('still running'), 5_000))]);
    t.not(upCode, 'still running', `the open upload was reset within ${Date.now() - started} ms`);
    t.not(upCode, 0, 'the upload failed');
    up6.kill('SIGKILL');
    await downDone;
    const delivered = Number(downOut.trim());
    t.ok(delivered > 0, `the download had started (${delivered} bytes)`);
    t.ok(delivered <= countedAtDeauth, `no byte reached the guest after deauth: ${delivered} delivered, ${countedAtDeauth} counted at deauth`);
    t.equal((await client(ID, c1.mac)).state, 'pending');
    await heldChecks(t, 'after deauth');
  });

  await t.test('bad input to the CLI and the socket gets an error; the daemon keeps running', async (t) => {
    const cases: Array<[string[], RegExp]> = [
      [['auth', 'zz:zz:zz:zz:zz:zz'], /not a MAC or IP address/],
      [['auth', '300.1.1.1'], /not a MAC or IP address/],
      [['auth', '02:00:00:00:00:99'], /unknown guest/],
      [['deauth', '10.250.0.250'], /unknown guest/],
      [['deauth', c2.mac], /has no session/],
      [['auth', c2.mac, '--minutes=0'], /--minutes must be a whole number/],
      [['auth', c2.mac, '--quota-bytes', '1e9'], /--quota-bytes must be a whole number/],
      [['auth', c2.mac, '--bogus'], /Unknown option/i],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, re] of cases) {
      const r = await qlink(ID, args);
      t.not(r.code, 0, `qlink ${args.join(' ')} fails`);
      t.match(r.stderr.split('\n')[0], re, `qlink ${args.join(' ')}: ${r.stderr.split('\n')[0]}`);
    }
    const sock = bed.agent!.socket;
    const garbage = await sh(
      ID,
      'router',
      `printf 'garbage\\n{"cmd":"reboot"}\\n' | socat -t2 - UNIX-CONNECT:${sock}; head -c 200000 /dev/zero | tr '\\0' a | socat -t2 - UNIX-CONNECT:${sock}; head -c 4096 /dev/urandom | socat -t1 - UNIX-CONNECT:${sock}; true`,
    );
    t.match(garbage.stdout, /request is not JSON/);
    t.match(garbage.stdout, /bad request/);
    t.match(garbage.stdout, /over 65536 bytes/);
    const st = await qlink(ID, ['status', '--json']);
    t.equal(st.code, 0, 'the daemon still answers');
    t.equal(JSON.parse(st.stdout).pid, tb.info(ID).agent!.pid, 'and it is the same process');
    await tb.agentStop(ID);
    const down = await qlink(ID, ['status']);
    t.equal(down.code, 1);
    t.match(down.stderr, /cannot reach the qlink daemon .*is it running\?/, 'daemon not running: one clear line');
  });
}
