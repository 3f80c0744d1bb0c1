import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** dist/scripts/lib/testbed/ → repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const STATE_ROOT = '/run/qlink-testbed';
export const NETNS_ETC = '/etc/netns';
export const DEFAULT_ID = 'tb';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_]{0,23}$/;

/**
 * Ids may not contain "-": the namespace names join id and host with one, and
 * ids like "tb" and "tb-up" would otherwise own overlapping names.
 */
export function checkId(id: string): string {
  if (!ID_RE.test(id)) throw new Error(`bad testbed id ${JSON.stringify(id)}: use 1-24 of [A-Za-z0-9_]`);
  return id;
}

export function resolveId(id?: string): string {
  return checkId(id ?? process.env.QLINK_TESTBED_ID ?? DEFAULT_ID);
}

/**
 * QLINK_TESTBED_PREFIX goes in front of every id, so two runs of the test
 * suite on one machine (a developer's and CI's) never take each other's
 * testbeds, and `down --all` removes only its own run's.
 */
const prefix = (): string => {
  const p = process.env.QLINK_TESTBED_PREFIX ?? '';
  if (!/^[A-Za-z0-9_]{0,8}$/.test(p)) throw new Error(`bad QLINK_TESTBED_PREFIX ${JSON.stringify(p)}: use 0-8 of [A-Za-z0-9_]`);
  return p;
};

export function stateDir(id: string): string {
  return join(STATE_ROOT, prefix() + id);
}

export function nsName(id: string, host: string): string {
  const full = prefix() + id;
  if (host === 'upstream' || host === 'up') return `ql-${full}-up`;
  if (host === 'router' || host === 'owner' || /^c[1-9][0-9]*$/.test(host)) return `ql-${full}-${host}`;
  throw new Error(`unknown host ${JSON.stringify(host)}: use router, upstream, owner or c1..cN`);
}

/** Namespaces a testbed may own; matches its own names and no other testbed's. */
export function nsPattern(id?: string): RegExp {
  const idPart = prefix() + (id === undefined ? '[A-Za-z0-9_]+' : id);
  return new RegExp(`^ql-${idPart}-(router|up|owner|c[1-9][0-9]*)$`);
}

export function clientMac(i: number): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `02:00:00:00:${hex(i >> 8)}:${hex(i & 0xff)}`;
}

export const distFile = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
