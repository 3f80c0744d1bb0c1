import { classId, ROOT_MAJOR } from './shaper.js';

/** Everything unclassified (the router's own traffic, the owner's) runs here, unshaped. */
const UNSHAPED_BPS = 10_000_000_000;

/** HTB's quantum: about 1/10 s of the rate, kept where HTB does not warn. */
const quantum = (bps: number): number => Math.min(200_000, Math.max(1_514, Math.round(bps / 80)));

/** 10 ms of the rate: HTB's default burst is too small to reach a multi-gigabit rate. */
const burst = (bps: number): number => Math.max(1_600, Math.ceil(bps / 8 / 100));

const htb = (bps: number): string => `htb rate ${bps}bit ceil ${bps}bit burst ${burst(bps)} cburst ${burst(bps)} quantum ${quantum(bps)}`;

function leaf(dev: string, minor: number, kind: string): string {
  const q = kind === 'pfifo' ? 'pfifo limit 300' : kind;
  return `qdisc replace dev ${dev} parent ${classId(minor)} handle ${minor.toString(16)}: ${q}`;
}

/** The root of one side: HTB whose class 1:1 holds every guest (capped by `totalBps`) and 1:2 everything else. */
export function renderRoot(dev: string, totalBps: number | null, leafKind: string): string[] {
  return [
    `qdisc replace dev ${dev} root handle ${ROOT_MAJOR}: htb default 2`,
    `class replace dev ${dev} parent ${ROOT_MAJOR}: classid ${classId(1)} ${htb(totalBps ?? UNSHAPED_BPS)}`,
    `class replace dev ${dev} parent ${ROOT_MAJOR}: classid ${classId(2)} ${htb(UNSHAPED_BPS)}`,
    leaf(dev, 2, leafKind),
  ];
}

/** `class replace` changes a class in place, so a live rate change keeps the guest's queue. */
export function renderClass(dev: string, minor: number, bps: number, leafKind: string, withLeaf: boolean): string[] {
  const lines = [`class replace dev ${dev} parent ${classId(1)} classid ${classId(minor)} ${htb(bps)}`];
  if (withLeaf) lines.push(leaf(dev, minor, leafKind));
  return lines;
}

export const renderDropClass = (dev: string, minor: number): string => `class del dev ${dev} classid ${classId(minor)}`;

export interface TcClass {
  minor: number;
  bps: number | null;
}

/** Parses `tc class show dev X` (text: iproute2's JSON output omits classes) for the agent's HTB classes. */
export function parseClasses(text: string, parseRate: (s: string) => number | null): TcClass[] {
  const out: TcClass[] = [];
  for (const line of text.split('\n')) {
    const m = /^class htb (\d+):([0-9a-f]+) .*?\brate (\S+)/.exec(line.trim());
    if (!m || Number(m[1]) !== ROOT_MAJOR) continue;
    out.push({ minor: parseInt(m[2]!, 16), bps: parseRate(m[3]!) });
  }
  return out;
}
