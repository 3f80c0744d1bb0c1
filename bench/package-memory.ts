/**
 * The packaged agent's memory and start time, as a router runs it: the tree
 * unpacked from an .ipk, its UCI config, uid 370 with CAP_NET_ADMIN (as
 * procd's ujail does), the init script's node flags (or others, to measure
 * them), in a testbed router namespace with 1,000 leased fake guests.
 * Reports start to the first answered `qlink status`, then VmRSS and RssAnon
 * (/proc/<pid>/status) at idle, 500 and 1,000 sessions, each after a few polls.
 *
 *   node dist/bench/package-memory.js --root DIR --node NODE [--flags "..."]... [--sqlite node:sqlite|better-sqlite3]
 *
 * scripts/bench-package builds the .ipk, unpacks it and runs this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, mkdirSync, chownSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tb from '../scripts/lib/testbed/index.js';
import { AGENT_UID, agentPrivilegeArgv } from '../scripts/lib/testbed/agent.js';
import { call, cpuMs, fakeLeases, fakeMac } from './lib.js';

const ID = 'pkgmem';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(s + '\n');
const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    node: { type: 'string' },
    flags: { type: 'string', multiple: true },
    sqlite: { type: 'string' },
    sessions: { type: 'string' },
  },
});
const root = values.root!;
const node = values.node ?? process.execPath;
const variants = values.flags ?? [readFileSync(join(root, 'etc/init.d/qlink'), 'utf8').match(/^NODE_FLAGS="(.*)"$/m)?.[1] ?? ''];
const steps = (values.sessions ?? '0,500,1000').split(',').map(Number);

function mem(pid: number): { rss: number; anon: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)![1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

async function run(bed: tb.TestbedInfo, flags: string): Promise<string> {
  const dir = join(bed.stateDir, 'pkgmem');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const sock = join(dir, 'qlink.sock');
  const leases = join(dir, 'leases');
  const expiry = Math.floor(Date.now() / 1000) + 86_400;
  const fakes = fakeLeases(Math.max(...steps), expiry);
  writeFileSync(leases, fakes.join('\n') + '\n');
  const uci = readFileSync(join(root, 'etc/config/qlink'), 'utf8')
    .replace("'br-guest'", "'br-lan'")
    .replace("'/etc/qlink'", `'${dir}/data'`)
    .replace("'/var/run/qlink/qlink.sock'", `'${sock}'`)
    .replace("'/tmp/dhcp.leases'", `'${leases}'`);
  writeFileSync(join(dir, 'qlink'), uci);
  for (const p of [dir, join(dir, 'data')]) chownSync(p, AGENT_UID, AGENT_UID);
  await tb.exec(ID, 'router', ['nft', 'delete', 'table', 'inet', 'qlink']);
  const main = join(root, 'usr/lib/node/qlink-agent/dist/agent/src/main.js');
  const env = { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production', ...(values.sqlite ? { QLINK_SQLITE: values.sqlite } : {}) };
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', bed.router.ns, ...agentPrivilegeArgv(), node, ...flags.split(' ').filter(Boolean), main, '--uci', join(dir, 'qlink')],
    { stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  try {
    let startMs = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the agent exited: ${err.slice(-2000)}`);
      if (existsSync(sock)) {
        const r = await tb.exec(ID, 'router', [join(root, 'usr/bin/qlink'), '--socket', sock, 'status'], { env: { NODE_OPTIONS: '' } });
        if (r.code === 0) {
          startMs = performance.now() - t0;
          break;
        }
      }
      await sleep(20);
    }
    const out = [`start to first answer ${startMs.toFixed(0)} ms`];
    let authed = 0;
    for (const n of steps) {
      for (; authed < n; authed++) await call(sock, { cmd: 'auth', guest: fakeMac(fakes[authed]!) });
      await sleep(6000); // three polls at the default 2 s: RSS settles after the auths' garbage
      const m = mem(child.pid!);
      out.push(`${n} sessions: ${m.rss.toFixed(1)} MB RSS, ${m.anon.toFixed(1)} MB anonymous`);
    }
    // What the flags cost: CPU (agent and its nft/ip children) per 2 s poll interval, over 20 s at the last step.
    const c0 = cpuMs(child.pid!);
    await sleep(20_000);
    out.push(`CPU ${((cpuMs(child.pid!) - c0) / 10).toFixed(0)} ms per 2 s poll at ${steps.at(-1)} sessions`);
    return out.join('; ');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
  }
}

async function main() {
  const bed = await tb.up({ id: ID, clients: 0, fakeGuests: true });
  try {
    const v = (await tb.exec(ID, 'router', [node, '--version'])).stdout.trim();
    say(`node ${v} (${node}), sqlite ${values.sqlite ?? 'auto'}, ${new Date().toISOString().slice(0, 10)}`);
    for (const flags of variants) say(`flags "${flags}": ${await run(bed, flags)}`);
  } finally {
    await tb.down(ID);
  }
}

await main();
