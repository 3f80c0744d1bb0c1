import { scriptHashOfAddress } from '../../../protocol/src/address.js';
import type { InvokeOffer, SponsoredOffer, TxContext } from '../../../protocol/src/wire/wallet-tx.js';
import { timed, type Wallet, WalletError } from './types.js';

/**
 * A NEP-21 provider (neo-project/proposals nep-21, as NeoLine's
 * extension/dapi/neo3-v2.ts and OneGate's LaunchDAppPage.xaml.cs inject it).
 * Errors are `{ code, message, data }` with codes 10000–10008
 * (NL extension/common/data_module_neo3_v2.ts NEP21ErrorCode).
 */
export interface Nep21Provider {
  name: string;
  network: number;
  getAccounts(): Promise<Array<{ address: string; hash?: string; label?: string }>>;
  sign(context: TxContext): Promise<TxContext>;
  invoke(invocations: unknown[], signers?: unknown[], attributes?: unknown[], options?: Record<string, unknown>): Promise<string>;
}

const CODES: Record<number, 'refused' | 'timeout' | 'funds' | 'unable'> = { 10006: 'refused', 10005: 'timeout', 10007: 'funds', 10001: 'unable' };

function nep21Error(e: unknown, what: string): WalletError {
  const x = (e ?? {}) as { code?: number; message?: string };
  const kind = x.code === undefined ? 'failed' : (CODES[x.code] ?? 'failed');
  return new WalletError(kind, kind === 'refused' ? what : `${x.message ?? String(e)}${x.code ? ` (${x.code})` : ''}`);
}

export function nep21Wallet(p: Nep21Provider, ms: number): Wallet {
  const ask = <T>(f: () => Promise<T>, what: string): Promise<T> =>
    timed(
      f().catch((e: unknown) => {
        throw nep21Error(e, what);
      }),
      ms,
      what,
    );
  return {
    name: p.name,
    kind: 'nep21',
    async network() {
      return typeof p.network === 'number' ? p.network : null;
    },
    async account() {
      const list = await ask(() => p.getAccounts(), 'getAccounts');
      const a = list[0];
      if (!a) throw new WalletError('failed', 'the wallet has no account');
      return { address: a.address, hash: scriptHashOfAddress(a.address), publicKey: null };
    },
    async signSponsored(o: SponsoredOffer) {
      return { context: await ask(() => p.sign(o.context), 'sign') };
    },
    async invoke(o: InvokeOffer, quoted: boolean) {
      return ask(
        () =>
          p.invoke(
            [{ hash: o.scriptHash, operation: o.operation, args: o.args, abortOnFail: o.abortOnFail }],
            [{ account: o.signers[0]!.account, scopes: 'CalledByEntry' }],
            [],
            // Integer strings of the smallest unit; with the system fee given the wallet's network fee is the node's calculatenetworkfee.
            ...(quoted ? [{ suggestedSystemFee: o.systemFee, validUntilBlock: o.validUntilBlock }] : []),
          ),
        'invoke',
      );
    },
  };
}
