import type { Test } from 'tap';
import * as tb from '../../scripts/lib/testbed/index.js';
import type { ClientView } from '../../agent/src/control/protocol.js';

export type Testbed = tb.TestbedInfo;

/** Brings a testbed up for one test file and always takes it down, pass or fail. */
export async function useTestbed(t: Test, id: string, opts: Omit<tb.UpOptions, 'id'> = {}): Promise<Testbed> {
  t.teardown(() => tb.down(id).then(() => {}));
  return tb.up({ ...opts, id });
}

export async function sh(id: string, host: string, script: string, timeoutMs = 60_000): Promise<tb.ExecResult> {
  return tb.exec(id, host, ['bash', '-c', script], { timeoutMs });
}

export async function qlink(id: string, args: string[]): Promise<tb.ExecResult> {
  // Without tap's loaders (NODE_OPTIONS), which make every node start several times slower.
  return tb.exec(id, 'router', ['node', 'dist/agent/src/cli/main.js', ...args], { timeoutMs: 20_000, env: { NODE_OPTIONS: '' } });
}

export async function clients(id: string): Promise<ClientView[]> {
  const r = await qlink(id, ['clients', '--json']);
  if (r.code !== 0) throw new Error(`qlink clients failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ClientView[];
}

export async function client(id: string, mac: string): Promise<ClientView> {
  const c = (await clients(id)).find((x) => x.mac === mac);
  if (!c) throw new Error(`guest ${mac} not listed`);
  return c;
}

/** Opens a TCP connection from a host; reports how it ended and how long it took. */
export async function tcpProbe(
  id: string,
  host: string,
  addr: string,
  port: number,
): Promise<{ result: 'open' | 'refused' | 'timeout' | 'error'; ms: number }> {
  const started = Date.now();
  const r = await sh(id, host, `timeout 3 bash -c 'exec 3<>/dev/tcp/${addr}/${port}' 2>&1; echo "rc=$?"`);
  const ms = Date.now() - started;
  if (/rc=0/.test(r.stdout)) return { result: 'open', ms };
  if (/refused/i.test(r.stdout)) return { result: 'refused', ms };
  if (/rc=124/.test(r.stdout)) return { result: 'timeout', ms };
  return { result: 'error', ms };
}

/** Sends one UDP datagram on a connected socket; an ICMP error shows up as an errno name. */
export async function udpProbe(id: string, host: string, addr: string, port: number): Promise<string> {
  const fam = addr.includes(':') ? 'AF_INET6' : 'AF_INET';
  const py = `import socket,errno
s=socket.socket(socket.${fam},socket.SOCK_DGRAM);s.settimeout(1.5);s.connect(("${addr}",${port}))
try:
  s.send(b"x");s.recv(1);print("answered")
except socket.timeout: print("timeout")
except OSError as e: print(errno.errorcode.get(e.errno,str(e.errno)))`;
  return (await tb.exec(id, host, ['/usr/bin/python3', '-c', py], { timeoutMs: 10_000 })).stdout.trim();
}

export function curlArgs(url: string, extra: string[] = []): string[] {
  return ['curl', '-sS', '-g', '-m', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{size_upload}', ...extra, url];
}

export { shellJoin } from '../../scripts/lib/testbed/proc.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Probes every `everyMs` until `done` holds of the answer or `timeoutMs` has
 * passed, and returns the last answer either way, for the test to assert on
 * (the testbed's waitFor throws instead, for set-up steps that must succeed).
 */
export async function pollUntil<T>(timeoutMs: number, probe: () => Promise<T>, done: (v: T) => boolean, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await probe();
  while (!done(v) && Date.now() < end) {
    await sleep(everyMs);
    v = await probe();
  }
  return v;
}

/** Byte counts of one interface read every 50 ms, each stamped with the wall clock when read: what really crossed the wire, and when. */
export interface WireSamples {
  /** Bytes that crossed between two wall-clock times, rounded outwards to the samples around them. */
  between(fromMs: number, toMs: number): number;
  readonly samples: ReadonlyArray<readonly [atMs: number, bytes: number]>;
}

/**
 * Samples /sys/class/net/IFACE/statistics/{rx,tx}_bytes in a testbed host until stopped. A test
 * that bounds what a window may lose measures the window's traffic with it rather than assuming the
 * sender's pace: under load a receiver that falls behind drains the backlog at line rate.
 */
export function sampleWire(id: string, host: string, iface: string, dir: 'rx' | 'tx'): { stop(): Promise<WireSamples> } {
  const file = `/sys/class/net/${iface}/statistics/${dir}_bytes`;
  const child = tb.spawn(id, host, ['bash', '-c', `while :; do echo "$(date +%s%3N) $(cat ${file})"; sleep 0.05; done`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return {
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const samples = out
        .split('\n')
        .map((l) => l.trim().split(' ').map(Number))
        .filter((p): p is [number, number] => p.length === 2 && p.every(Number.isFinite))
        .map(([at, bytes]) => [at, bytes] as const);
      if (samples.length < 2) throw new Error(`${file} in ${host}: ${samples.length} samples`);
      return {
        samples,
        between(fromMs, toMs) {
          const before = samples.filter(([at]) => at <= fromMs).at(-1) ?? samples[0];
          const after = samples.find(([at]) => at >= toMs) ?? samples.at(-1);
          return (after?.[1] ?? 0) - (before?.[1] ?? 0);
        },
      };
    },
  };
}
