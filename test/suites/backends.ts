import * as tb from '../../scripts/lib/testbed/index.js';

/**
 * A gate backend as the network tests drive it: how the agent is told to use
 * it, and how the tests knock its rules out of the kernel the way a firewall
 * reload or an admin would.
 */
export interface BackendUnderTest {
  name: string;
  /** Merged into the testbed's agent config. */
  agentConfig: { backend: 'nftables' | 'iptables' };
  /** Everything gone, counters included (`nft flush ruleset`, empty tables restored with `iptables-restore`). */
  flushAll: { label: string; run(id: string): Promise<number> };
  /** The gate's forwarding rules are in the kernel again. */
  gateBack(id: string): Promise<boolean>;
  /** Only the rules that hook the gate in go; what holds the counters stays. */
  flushHooks: { label: string; run(id: string): Promise<number> };
  hooksBack(id: string): Promise<boolean>;
}

const sh = async (id: string, script: string) => (await tb.exec(id, 'router', ['bash', '-c', script])).code;

export const nftBackend: BackendUnderTest = {
  name: 'nftables',
  agentConfig: { backend: 'nftables' },
  flushAll: { label: 'nft flush ruleset', run: (id) => sh(id, 'nft flush ruleset') },
  gateBack: async (id) => (await tb.exec(id, 'router', ['nft', 'list', 'chain', 'inet', 'qlink', 'from_guest'])).code === 0,
  flushHooks: { label: 'nft flush table (rules gone, table left)', run: (id) => sh(id, 'nft flush table inet qlink') },
  hooksBack: async (id) => /accept/.test((await tb.exec(id, 'router', ['nft', 'list', 'chain', 'inet', 'qlink', 'from_guest'])).stdout),
};

/**
 * iptables in one variant. The agent picks the binaries from QLINK_IPTABLES,
 * which the testbed passes on from this process's environment.
 */
export function iptBackend(variant: 'legacy' | 'nft'): BackendUnderTest {
  process.env.QLINK_IPTABLES = variant;
  const bins = [`iptables-${variant}`, `ip6tables-${variant}`];
  // As a firewall reload does it: one iptables-restore per family empties filter, nat and mangle, user
  // chains too, in one commit. Separate -F and -X commands raced the agent's rebuild (CI, 2026-12-02:
  // the rebuild already referenced a chain a later -X was to delete, and the flush failed with exit 4).
  const empty = String.raw`*filter\nCOMMIT\n*nat\nCOMMIT\n*mangle\nCOMMIT\n`;
  const flushAll = bins.map((b) => `printf '${empty}' | ${b}-restore -w`).join(' && ') + (variant === 'nft' ? ' && nft flush ruleset' : '');
  const flushHooks = bins.map((b) => `${b} -F FORWARD && ${b} -F INPUT && ${b} -t nat -F PREROUTING && ${b} -t mangle -F FORWARD`).join(' && ');
  return {
    name: `iptables-${variant}`,
    agentConfig: { backend: 'iptables' },
    flushAll: {
      label: `iptables-restore of empty filter, nat and mangle tables${variant === 'nft' ? ' + nft flush ruleset' : ''}`,
      run: (id) => sh(id, flushAll),
    },
    gateBack: async (id) => (await sh(id, bins.map((b) => `${b} -S qlink_from_guest | grep -q -- '-j qlink_up'`).join(' && '))) === 0,
    flushHooks: { label: 'iptables -F of the built-in chains (a firewall reload; the qlink_ chains left)', run: (id) => sh(id, flushHooks) },
    hooksBack: async (id) => (await sh(id, bins.map((b) => `${b} -S FORWARD | grep -q qlink_fwd`).join(' && '))) === 0,
  };
}
