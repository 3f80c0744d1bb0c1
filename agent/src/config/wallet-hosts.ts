/**
 * The hosts each wallet talks to while a guest pays, read from the wallets'
 * sources (docs/portal.md "Hosts the wallets need" has the files and lines):
 * what the walled garden must let an unpaid guest reach by name, for the
 * gate's DNS-filled sets (issue 18 item 5). Ports: NeoLine's seeds answer on
 * 10332 (MainNet) and 20332 (TestNet), the others on 443.
 */
export const WALLET_HOSTS = {
  /**
   * NeoLine talks only to the selected network's RPC (no node discovery):
   * N3 MainNet's default seed1.neo.org and the ones a user may pick, N3
   * TestNet's seeds; api.neoline.io gives its priority fee (unreachable, it
   * adds 0.011 GAS instead; the page passes fee '0', so no payment needs it).
   */
  neoline: [
    'seed1.neo.org',
    'seed2.neo.org',
    'seed3.neo.org',
    'seed4.neo.org',
    'seed5.neo.org',
    'n3seed1.ngd.network',
    'n3seed2.ngd.network',
    'neo3-mainnet.neoline.io',
    'seed1t5.neo.org',
    'seed2t5.neo.org',
    'seed3t5.neo.org',
    'seed4t5.neo.org',
    'seed5t5.neo.org',
    'api.neoline.io',
  ],
  /** OneGate: one fixed MainNet node for every RPC call, and its app API (dApp catalog, prices). */
  onegate: ['n3seed1.ngd.network', 'onegate.space'],
  /** Neon reaches the page only through WalletConnect's relay on the internet: not supported by the portal (docs/portal.md). */
  neon: [],
} as const satisfies Record<string, readonly string[]>;

export type WalletName = keyof typeof WALLET_HOSTS;
