/**
 * openNDS (github.com/openNDS/openNDS) run from a build directory inside the
 * router namespace of qlink's testbed, for side-by-side figures. Nothing of
 * openNDS is in this repository; DIR is a build of it with its `make install`
 * tree in DIR/stage (scripts/bench-peers says how to make one).
 *
 * openNDS hard-codes /usr/lib/opennds, /usr/bin/opennds, /etc/config/opennds
 * and its tmpfs (/tmp), edits /etc/dnsmasq.conf and calls systemctl, so it
 * runs in a mount and pid namespace of its own: /etc as an overlay whose
 * writes land in the run directory, /usr/lib and /usr/bin as read-only
 * overlays with DIR/stage on top (and a systemctl that only records), a
 * private /tmp. The host's files are never written.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Testbed from '../scripts/lib/testbed/index.js';
import { run } from '../scripts/lib/testbed/proc.js';

type Tb = typeof Testbed;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OpenNds {
  /** Host pid of the opennds process. */
  pid: number;
  /** ndsctl inside the instance; "busy" answers (exit 4) are retried. */
  ndsctl(args: string[]): Promise<{ code: number; stdout: string; retries: number }>;
  rssKb(): number;
  /** Freezes or thaws openNDS (its poll included) while a bench moves its tables. */
  pause(on: boolean): void;
  stop(): Promise<void>;
}

export interface OpenNdsOptions {
  routerNs: string;
  stateDir: string;
  /** dnsmasq-format leases openNDS checks guests against (it authenticates only leased addresses). */
  leases: string;
  /** Seconds between openNDS's polls (its default is 15). */
  checkInterval?: number;
  log?: (s: string) => void;
}

function config(o: OpenNdsOptions): string {
  return [
    "config opennds 'setup'",
    "\toption enabled '1'",
    "\toption debuglevel '1'",
    "\toption gatewayinterface 'br-lan'",
    "\toption gatewayname 'qlink-bench'",
    // Click to continue, so ndsctl auth is all it takes.
    "\toption login_option_enabled '1'",
    // A fixed key: without one it makes one and rewrites its config at start.
    `\toption faskey '${'5a'.repeat(32)}'`,
    // Neither /etc/hosts nor DHCP option 114 in /etc/dnsmasq.conf.
    "\toption gatewayfqdn 'disable'",
    "\toption dhcp_default_url_enable '0'",
    "\toption enable_serial_number_suffix '0'",
    // Its default of 250 would refuse the 251st guest.
    "\toption maxclients '4000'",
    `\toption checkinterval '${o.checkInterval ?? 15}'`,
    // Idle fake guests must not be timed out during a run.
    "\toption sessiontimeout '1440'",
    "\toption authidletimeout '1440'",
    "\toption preauthidletimeout '1440'",
    `\toption dhcp_leases_file '${o.leases}'`,
    '',
  ].join('\n');
}

function inner(dir: string, runDir: string): string {
  return `#!/bin/bash
# PID 1 of openNDS's own mount and pid namespace (written by qlink's bench/opennds.ts).
set -e
mount --make-rprivate /
mount -t overlay qlpeer-etc -o lowerdir=/etc,upperdir=${runDir}/etc-upper,workdir=${runDir}/etc-work /etc
mkdir -p /etc/config
cp ${runDir}/opennds.conf /etc/config/opennds
cp -a ${dir}/stage/etc/opennds /etc/
mount -t overlay qlpeer-lib -o lowerdir=${dir}/stage/usr/lib:/usr/lib /usr/lib
mount -t overlay qlpeer-bin -o lowerdir=${runDir}/stub:${dir}/stage/usr/bin:/usr/bin /usr/bin
# Its scripts take the first tmpfs named "tmpfs" of /tmp, /run, /var as its own.
mount -t tmpfs -o mode=1777,size=64m tmpfs /tmp
/usr/bin/opennds -f &
wait
`;
}

async function pidsIn(ns: string): Promise<number[]> {
  return (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
}

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

export async function startOpenNds(dir: string, o: OpenNdsOptions): Promise<OpenNds> {
  const runDir = join(o.stateDir, 'opennds');
  for (const d of ['etc-upper', 'etc-work', 'stub']) mkdirSync(join(runDir, d), { recursive: true });
  writeFileSync(join(runDir, 'opennds.conf'), config(o));
  writeFileSync(join(runDir, 'stub', 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> ${runDir}/systemctl.log\nexit 0\n`);
  chmodSync(join(runDir, 'stub', 'systemctl'), 0o755);
  writeFileSync(join(runDir, 'inner.sh'), inner(dir, runDir));
  const logFd = join(runDir, 'opennds.out');
  const before = new Set(await pidsIn(o.routerNs));
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      o.routerNs,
      'env',
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'unshare',
      '--mount',
      '--pid',
      '--fork',
      '--kill-child=SIGKILL',
      '--mount-proc',
      '--propagation',
      'private',
      '/bin/bash',
      join(runDir, 'inner.sh'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let out = '';
  for (const s of [child.stdout!, child.stderr!])
    s.on('data', (d) => {
      out = (out + d).slice(-20_000);
      writeFileSync(logFd, out);
    });
  child.unref();
  const started = Date.now();
  let pid = 0;
  while (!pid) {
    if (Date.now() - started > 60_000) throw new Error(`openNDS did not start within 60 s:\n${out.slice(-2000)}`);
    await sleep(250);
    pid = (await pidsIn(o.routerNs)).find((p) => !before.has(p) && comm(p) === 'opennds') ?? 0;
  }
  const ndsctl = async (args: string[]) => {
    for (let retries = 0; ; retries++) {
      const r = await run('nsenter', ['-t', String(pid), '-m', '-n', '-p', '--', '/usr/bin/ndsctl', ...args], { timeoutMs: 120_000 });
      // "ndsctl thread is busy": its lock is try-once, a caller must come back.
      if (r.code !== 4 || retries > 400) return { code: r.code, stdout: r.stdout + r.stderr, retries };
      await sleep(50);
    }
  };
  // It answers once every option is read (a shell script per option): 8-20 s here.
  while ((await ndsctl(['status'])).code !== 0) {
    if (Date.now() - started > 120_000) throw new Error(`ndsctl status never answered:\n${out.slice(-2000)}`);
    await sleep(500);
  }
  o.log?.(`openNDS ${readVersion(dir)} up in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`);
  return {
    pid,
    ndsctl,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN),
    pause(on) {
      try {
        process.kill(-child.pid!, on ? 'SIGSTOP' : 'SIGCONT');
      } catch {
        process.kill(pid, on ? 'SIGSTOP' : 'SIGCONT');
      }
    },
    async stop() {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      // On SIGTERM it deauths every guest, one script each, before it removes its tables: give it a while.
      for (let i = 0; i < 60 && comm(pid) === 'opennds'; i++) await sleep(250);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      for (const t of ['nds_filter', 'nds_mangle', 'nds_nat']) await run('ip', ['netns', 'exec', o.routerNs, 'nft', 'delete', 'table', 'ip', t]);
    },
  };
}

export function readVersion(dir: string): string {
  try {
    return readFileSync(join(dir, '.opennds-version'), 'utf8').trim().split(' ')[0]!;
  } catch {
    return '(version unknown)';
  }
}

/** Fake guests as openNDS needs them: a permanent neighbour entry each on br-lan, and their /16 on-link. */
export async function fakeNeighbours(tb: Tb, id: string, leaseLines: readonly string[]): Promise<void> {
  const lines = leaseLines.map((l) => {
    const [, mac, ip] = l.split(' ');
    return `neigh replace ${ip} lladdr ${mac} dev br-lan nud permanent`;
  });
  lines.push('route replace 10.251.0.0/16 dev br-lan');
  const r = await tb.exec(id, 'router', ['ip', '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (r.code !== 0) throw new Error(`fake neighbours: ${r.stderr}`);
}
