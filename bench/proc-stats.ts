import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs } from './lib.js';

/** Live descendants of a process (PostgreSQL's backends under its postmaster), from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone between readdir and read
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/**
 * CPU time of a process and everything under it, in ms: its own, its reaped
 * children's (cpuMs counts those), and each live descendant's.
 */
export function treeCpuMs(root: number): number {
  let ms = cpuMs(root);
  for (const p of descendants(root)) {
    try {
      ms += cpuMs(p);
    } catch {
      // exited: its time is in its parent's reaped-children count from now on
    }
  }
  return ms;
}

/** Peak resident set of a process since it started (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU used since start(): ms, and % of one core over the wall time since. Read both while the process lives. */
export function cpuMeter(read: () => number): { start(): void; read(): { ms: number; percent: number } } {
  let cpu0 = 0;
  let t0 = 0;
  return {
    start() {
      cpu0 = read();
      t0 = performance.now();
    },
    read() {
      const ms = read() - cpu0;
      return { ms, percent: (ms / (performance.now() - t0)) * 100 };
    },
  };
}
