import { scriptHashOf } from '../../../protocol/src/address.js';
import type { InvokeOffer, SponsoredOffer, TxExport } from '../../../protocol/src/wire/wallet-tx.js';
import { decimalGas, timed, type Wallet, type WalletAccount, WalletError } from './types.js';

/**
 * NeoLine's legacy N3 dAPI (window.NEOLineN3, `new NEOLineN3.Init()`;
 * NeoNEXT/neoline extension/dapi/neo3.ts). Errors are `{ type, description,
 * data }` (cross-runtime/neo2-shared.ts). Its NEP-21 provider, announced by
 * the same extension, tells the network's magic (getNetworks does not).
 */
interface LegacyN3 {
  getNetworks(): Promise<{ chainId: number; networks: string[]; defaultNetwork: string }>;
  getAccount(): Promise<{ address: string; label?: string }>;
  getPublicKey(): Promise<{ address: string; publicKey: string }>;
  signTransaction(p: { transaction: TxExport; magicNumber: number }): Promise<TxExport>;
  invoke(p: Record<string, unknown>): Promise<{ txid: string; nodeUrl?: string }>;
  signMessage(p: { message: string }): Promise<{ publicKey: string; data: string; salt: string; message: string }>;
}

/** chainId of getNetworks (NL cross-runtime/constants.ts): 3 N3 MainNet, 6 N3 TestNet, 0 a network the user added. */
const CHAIN_MAGIC: Record<number, number> = { 3: 860833102, 6: 894710606 };

function legacyError(e: unknown, what: string): WalletError {
  const x = (e ?? {}) as { type?: string; description?: string; data?: unknown };
  const detail = x.description ? `${x.description}${x.data ? ` (${JSON.stringify(x.data).slice(0, 200)})` : ''}` : String(e);
  switch (x.type) {
    case 'CANCELED':
    case 'CONNECTION_DENIED':
      return new WalletError('refused', what);
    case 'INSUFFICIENT_FUNDS':
      return new WalletError('funds', detail);
    case 'CHAIN_NOT_MATCH':
      return new WalletError('network', detail);
    case 'UNSUPPORTED':
      return new WalletError('unable', detail);
    default:
      return new WalletError('failed', detail);
  }
}

export function neolineWallet(init: new () => LegacyN3, networkOf: () => number | null, ms: number): Wallet {
  const n3 = new init();
  const ask = <T>(p: () => Promise<T>, what: string): Promise<T> =>
    timed(
      p().catch((e: unknown) => {
        throw legacyError(e, what);
      }),
      ms,
      what,
    );
  let account: WalletAccount | null = null;
  return {
    name: 'NeoLine',
    kind: 'neoline',
    async network() {
      const magic = networkOf();
      if (magic !== null) return magic;
      const n = await ask(() => n3.getNetworks(), 'getNetworks');
      return CHAIN_MAGIC[n.chainId] ?? null;
    },
    async account() {
      // The first call on a site asks the guest to connect it (NeoLine's authorization popup), once per browser start.
      const k = await ask(() => n3.getPublicKey(), 'connect');
      account = { address: k.address, hash: '0x' + scriptHashOf(k.publicKey), publicKey: k.publicKey };
      return account;
    },
    async signSponsored(o: SponsoredOffer) {
      // magicNumber is required in practice: without it NeoLine's popup throws on NaN and nothing comes back.
      const signed = await ask(() => n3.signTransaction({ transaction: o.transaction, magicNumber: o.magicNumber }), 'signTransaction');
      return { transaction: signed };
    },
    async invoke(o: InvokeOffer, quoted: boolean) {
      const signer = (account?.hash ?? o.signers[0]!.account).replace(/^0x/, '');
      const r = await ask(
        () =>
          n3.invoke({
            scriptHash: o.scriptHash,
            operation: o.operation,
            args: o.args,
            abortOnFail: o.abortOnFail,
            signers: [{ account: signer, scopes: 1 }],
            // No priority fee and the system fee as quoted: the network fee is then calculatenetworkfee's, so the fee shown is the fee paid.
            ...(quoted ? { fee: '0', overrideSystemFee: decimalGas(o.systemFee), validUntilBlock: o.validUntilBlock } : {}),
          }),
        'invoke',
      );
      return r.txid;
    },
    async signStatement(text: string) {
      const r = await ask(() => n3.signMessage({ message: text }), 'signMessage');
      return { publicKey: r.publicKey, salt: r.salt, signature: r.data };
    },
  };
}
