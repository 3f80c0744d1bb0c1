import { readdirSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, killAndWait } from './proc.js';
import { NETNS_ETC } from './paths.js';

export function listNamespaces(pattern: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  return names.filter((n) => pattern.test(n)).sort();
}

/** One ip process for the whole set: a process per namespace costs more than the work. */
export async function addNamespaces(names: readonly string[]): Promise<void> {
  await runOk('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') });
}

export interface Veth {
  name: string;
  ns: string;
  peer: string;
  peerNs: string;
  peerMac?: string;
}

/**
 * Both ends are created directly in their namespaces, so nothing ever exists
 * in the host's own namespace, even for an instant, and parallel testbeds
 * can reuse the same interface names.
 */
export async function addVeths(veths: readonly Veth[]): Promise<void> {
  const lines = veths.map((v) => {
    const mac = v.peerMac ? ` address ${v.peerMac}` : '';
    return `link add ${v.name} netns ${v.ns} type veth peer name ${v.peer} netns ${v.peerNs}${mac}\n`;
  });
  await runOk('ip', ['-batch', '-'], { input: lines.join('') });
}

/** `ip netns exec` reads /etc/netns/<ns>/resolv.conf instead of the host's file. */
export function writeResolvConf(ns: string, nameserver: string): void {
  const dir = join(NETNS_ETC, ns);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'resolv.conf'), `nameserver ${nameserver}\n`);
}

/** Every process in the namespace, killed with SIGKILL and waited for; their pids. */
export async function killAllIn(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number);
  if (pids.length > 0) await killAndWait(pids);
  return pids;
}

/** Needs no saved state: works after a crash half-way through `up`. */
export async function removeNamespace(ns: string): Promise<void> {
  await killAllIn(ns);
  const del = await run('ip', ['netns', 'del', ns]);
  if (del.code !== 0 && !/No such file/.test(del.stderr)) throw new Error(`ip netns del ${ns}: ${del.stderr.trim()}`);
}

export function removeNetnsEtc(pattern: RegExp): void {
  let names: string[];
  try {
    names = readdirSync(NETNS_ETC);
  } catch {
    return;
  }
  for (const n of names) if (pattern.test(n)) rmSync(join(NETNS_ETC, n), { recursive: true, force: true });
}

export const inNs = (ns: string, argv: readonly string[]): string[] => ['netns', 'exec', ns, ...argv];
