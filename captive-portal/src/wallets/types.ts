import type { InvokeOffer, SponsoredOffer, TxContext, TxExport } from '../../../protocol/src/wire/wallet-tx.js';

/**
 * A wallet the page can pay with. NeoLine's N3 dAPI and the NEP-21 provider
 * (OneGate's dApp browser) implement it; WalletConnect (Neon) would be one
 * more implementation of the same five calls, but its relay is on the
 * internet, out of an unpaid guest's reach, so it is not built
 * (docs/portal.md "Wallets that cannot run here").
 */
export interface Wallet {
  /** As the wallet names itself. */
  readonly name: string;
  readonly kind: 'neoline' | 'nep21';
  /** The network magic the wallet is on; null when it cannot tell. */
  network(): Promise<number | null>;
  account(): Promise<WalletAccount>;
  /** Signs the gateway's sponsored transaction as its second signer; what comes back goes to /api/sponsored as it is. */
  signSponsored(o: SponsoredOffer): Promise<{ transaction?: TxExport; context?: TxContext }>;
  /**
   * The wallet sends the transfer itself (the guest pays the fee); its txid.
   * quoted: the gateway's quote, passed on so the fee shown is the fee paid;
   * else the wallet sets the fees and the validity as it always does.
   */
  invoke(o: InvokeOffer, quoted: boolean): Promise<string>;
  /** Signs text the way the contract's rekey checks (NeoLine's salted signMessage); absent where the wallet signs only raw bytes. */
  signStatement?: (text: string) => Promise<{ publicKey: string; salt: string; signature: string }>;
}

export interface WalletAccount {
  address: string;
  /** 0x and 40 hex digits, big-endian. */
  hash: string;
  /** Compressed, hex; null when the wallet does not say (NEP-21 getAccounts). */
  publicKey: string | null;
}

/** refused: the guest said no. timeout: no answer. network: another network. funds: not enough GAS. unable: the wallet cannot do this. failed: anything else. */
export type WalletErrorKind = 'refused' | 'timeout' | 'network' | 'funds' | 'unable' | 'failed';

export class WalletError extends Error {
  constructor(
    readonly kind: WalletErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Every wallet call gets an answer or a timeout: NeoLine never answers a second request while its popup is open (docs/portal.md). */
export function timed<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, no) => {
    t = setTimeout(() => no(new WalletError('timeout', what)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

/** GAS with 8 decimals, as NeoLine's invoke wants fees: a decimal string. */
export const decimalGas = (units: string): string => {
  const s = units.padStart(9, '0');
  return `${s.slice(0, -8)}.${s.slice(-8)}`.replace(/\.?0+$/, '');
};
