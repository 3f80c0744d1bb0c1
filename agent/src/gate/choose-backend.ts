import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import type { CommandRunner } from '../kernel/run.js';
import type { IptablesVariant } from './iptables-names.js';

export type BackendChoice = { kind: 'nftables'; reason: string } | { kind: 'iptables'; variant: IptablesVariant; reason: string };

/** What the choice looks at; fakes in tests, the system in the agent. */
export interface BackendProbes {
  /** Whether a command is on PATH. */
  has(cmd: string): boolean;
  /** Whether nf_tables works here (`nft list tables` succeeds). */
  nftUsable(): Promise<boolean>;
  /** `iptables -V`, or null when it fails. */
  iptablesVersion(): Promise<string | null>;
  /** QLINK_IPTABLES: legacy or nft, to pick the binaries where both are installed. */
  variantOverride?: string | undefined;
}

const overrideSchema = z.enum(['legacy', 'nft']);

/**
 * The binaries in use: the override, else the variant `iptables` itself names
 * (Debian's alternatives), with the suffixed binaries where they exist and the
 * plain ones (OpenWrt installs no suffix) where they do not.
 */
async function variantOf(p: BackendProbes): Promise<{ variant: IptablesVariant; why: string }> {
  if (p.variantOverride) {
    const v = overrideSchema.safeParse(p.variantOverride);
    if (!v.success) throw new Error(`QLINK_IPTABLES must be legacy or nft, not ${JSON.stringify(p.variantOverride)}`);
    if (!p.has(`iptables-${v.data}-restore`)) throw new Error(`QLINK_IPTABLES=${v.data} but iptables-${v.data}-restore is not installed`);
    return { variant: v.data, why: `QLINK_IPTABLES=${v.data}` };
  }
  const version = await p.iptablesVersion();
  const inUse = version === null ? null : /nf_tables/.test(version) ? 'nft' : /legacy/.test(version) ? 'legacy' : null;
  if (inUse && p.has(`iptables-${inUse}-restore`)) return { variant: inUse, why: `iptables is iptables-${inUse} (${version})` };
  return { variant: 'plain', why: version ? `iptables in use (${version})` : 'iptables (version unknown)' };
}

/** Explicit order: the config's choice, then nftables where nft is installed and works, else iptables. */
export async function chooseBackend(configured: 'auto' | 'nftables' | 'iptables', p: BackendProbes): Promise<BackendChoice> {
  if (configured === 'nftables') return { kind: 'nftables', reason: 'config: backend nftables' };
  if (configured === 'iptables') {
    const v = await variantOf(p);
    return { kind: 'iptables', variant: v.variant, reason: `config: backend iptables; ${v.why}` };
  }
  if (p.has('nft') && (await p.nftUsable())) return { kind: 'nftables', reason: 'auto: nft is installed and nf_tables works' };
  const missing = p.has('nft') ? 'nft is installed but nf_tables does not work' : 'nft is not installed';
  const v = await variantOf(p);
  return { kind: 'iptables', variant: v.variant, reason: `auto: ${missing}; ${v.why}` };
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

export function systemProbes(runner: CommandRunner): BackendProbes {
  const ok = (argv: string[]) =>
    runner.run(argv).then(
      (out) => out,
      () => null,
    );
  return {
    has: onPath,
    nftUsable: async () => (await ok(['nft', 'list', 'tables'])) !== null,
    iptablesVersion: async () => (await ok(['iptables', '-V']))?.trim() ?? null,
    variantOverride: process.env.QLINK_IPTABLES || undefined,
  };
}
