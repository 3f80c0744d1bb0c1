import { gasOf, never, type Prompts, sc, tx, u, wallet, type Rpc } from './core.js';
import { NeoLineDouble, type LegacyError, type NeoLineNetwork } from './neoline.js';

/**
 * A test double of a NEP-21 provider (neo-project/proposals nep-21.mediawiki,
 * branch dapi at 10f5399c), as the two wallets that ship one implement it:
 *
 * - flavor 'neoline': NeoLine 5.8.2's provider (NeoNEXT/neoline
 *   extension/dapi/neo3-v2.ts, class NEOLineN3Controller) without its legacy
 *   dAPI: each method maps onto the legacy request (the NeoLineDouble) as
 *   neo3-v2.ts does (toInvokeRequest: suggestedSystemFee → overrideSystemFee
 *   in decimals, no `fee`, so the popup adds its priority fee; sign(context)
 *   → SignTransaction with the context), and legacy errors become
 *   `{ code, message, data }` by normalizeError (CANCELED and
 *   CONNECTION_DENIED 10006, MALFORMED_INPUT 10002, INSUFFICIENT_FUNDS 10007,
 *   RPC_ERROR 10008, FAILED 10004; codes from extension/common/data_module_neo3_v2.ts).
 *   getAccounts opens the authorization popup; accounts are
 *   `{ address, label, hash (no 0x), extra: { isLedger } }`.
 * - flavor 'onegate': OneGate's (neoorder/OneGateApp at 623603d6;
 *   OneGateApp/Pages/LaunchDAppPage.xaml.cs CreateDapiInjectionScript,
 *   LaunchDAppPage.xaml.dAPI.cs): connected, getAccounts without a popup
 *   (`{ hash: '0x…', address, label }`, Models/Account.cs); invoke sets
 *   SystemFee = suggestedSystemFee, NetworkFee = calculatenetworkfee, the
 *   validUntilBlock given, refuses with 10007 when the GAS does not cover the
 *   fees (Services/RPC/RpcClient.cs MakeTransactionAsync), asks, signs and
 *   relays; sign(context) asks, then Neo's Wallet.Sign looks up the other
 *   signer's contract with the null snapshot OneGate parses contexts with
 *   (Converters/ContractParametersContextConverter.cs), a
 *   NullReferenceException, which RpcServer.cs answers as code 10000: by
 *   reading, OneGate cannot co-sign a transaction someone else pays for
 *   (wallets.md §2.2; not run on a device). Cancelled: 10006. OneGate is
 *   MainNet-only; here it stands on the test network's magic.
 */

export type Nep21Error = { code: number; message: string; data?: unknown };
const CODE: Record<string, number> = {
  CANCELED: 10006,
  CONNECTION_DENIED: 10006,
  MALFORMED_INPUT: 10002,
  INSUFFICIENT_FUNDS: 10007,
  RPC_ERROR: 10008,
  FAILED: 10004,
  UNSUPPORTED: 10001,
  CHAIN_NOT_MATCH: 10001,
};

export class Nep21Double {
  readonly account;
  readonly #legacy: NeoLineDouble;

  /** legacy: NeoLine's background, shared with its legacy dAPI when both are in the page (one extension, one set of connected sites). */
  constructor(private readonly o: { flavor: 'neoline' | 'onegate'; wif: string; network: NeoLineNetwork; rpc: Rpc; prompts: Prompts; legacy?: NeoLineDouble }) {
    this.account = new wallet.Account(o.wif);
    this.#legacy = o.legacy ?? new NeoLineDouble({ wif: o.wif, network: o.network, rpc: o.rpc, prompts: o.prompts });
  }

  get prompts(): Prompts {
    return this.o.prompts;
  }

  /** The provider's properties, as the page reads them. */
  get properties(): Record<string, unknown> {
    return this.o.flavor === 'neoline'
      ? {
          name: 'NeoLine',
          version: '1.0',
          dapiVersion: '1.0',
          compatibility: ['NEP-11', 'NEP-17', 'NEP-21'],
          connected: false,
          network: this.o.network.magicNumber,
          supportedNetworks: [860833102, 894710606],
          website: 'https://neoline.io/',
          extra: null,
        }
      : {
          name: 'OneGate',
          version: '1.0.0',
          dapiVersion: '1.0',
          compatibility: ['NEP-2', 'NEP-6', 'NEP-9', 'NEP-11', 'NEP-17', 'NEP-20', 'NEP-21', 'NEP-33'],
          connected: true,
          network: this.o.network.magicNumber,
          supportedNetworks: [this.o.network.magicNumber],
          website: 'https://onegate.space',
          extra: {},
        };
  }

  async handle(method: string, args: unknown[], hostname: string): Promise<unknown> {
    return this.o.flavor === 'neoline' ? this.#neoline(method, args, hostname) : this.#onegate(method, args, hostname);
  }

  async #neoline(method: string, args: unknown[], hostname: string): Promise<unknown> {
    const legacy = (target: string, p: Record<string, unknown>) =>
      this.#legacy.handle(target, p, hostname).catch((e: LegacyError) => {
        throw { code: CODE[e.type] ?? 10000, message: e.description, data: e.data } satisfies Nep21Error;
      });
    const a = this.account;
    switch (method) {
      case 'getAccounts':
        await legacy('getAccount', {});
        return [{ address: a.address, label: 'guest', hash: a.scriptHash, extra: { isLedger: false } }];
      case 'sign': {
        const context = args[0] as { data?: string; type?: string } | undefined;
        if (!context?.data || context.type !== 'Neo.Network.P2P.Payloads.Transaction') {
          throw { code: 10002, message: "Invalid context data or type. Expected a transaction context with type 'Neo.Network.P2P.Payloads.Transaction'." };
        }
        return legacy('signTransaction', { context, hostname });
      }
      case 'invoke': {
        const [invocations, signers, attributes, options] = args as [
          Array<Record<string, unknown>>,
          unknown[] | undefined,
          unknown[] | undefined,
          Record<string, string | number> | undefined,
        ];
        if (!Array.isArray(invocations) || invocations.length !== 1) throw { code: 10002, message: "'invocations' must be a non-empty array" };
        const inv = invocations[0]!;
        const decimals = (v: unknown) => (v === undefined ? undefined : (Number(v) / 1e8).toFixed(8).replace(/\.?0+$/, ''));
        const r = (await legacy('invoke', {
          scriptHash: inv.hash,
          operation: inv.operation,
          args: inv.args ?? [],
          abortOnFail: inv.abortOnFail,
          signers: signers ?? [],
          attributes: attributes ?? [],
          extraSystemFee: decimals(options?.extraSystemFee),
          overrideSystemFee: decimals(options?.suggestedSystemFee),
          validUntilBlock: options?.validUntilBlock,
        })) as { txid: string };
        return r.txid;
      }
      default:
        throw { code: 10001, message: `not in this double: ${method}` };
    }
  }

  async #onegate(method: string, args: unknown[], hostname: string): Promise<unknown> {
    const a = this.account;
    const rpc = this.o.rpc;
    switch (method) {
      case 'getAccounts':
        return [{ hash: '0x' + a.scriptHash, address: a.address, label: 'guest' }];
      case 'sign': {
        const answer = await this.o.prompts.ask('sign-transaction', { hostname, context: args[0] });
        if (answer === 'never') return never();
        if (answer === 'no') throw { code: 10006, message: 'Operation cancelled' };
        const context = args[0] as { items?: Record<string, unknown> };
        const foreign = Object.keys(context.items ?? {}).some((h) => h.replace(/^0x/, '').toLowerCase() !== a.scriptHash);
        if (foreign) throw { code: 10000, message: 'Object reference not set to an instance of an object.' };
        throw { code: 10001, message: 'not in this double: signing a context OneGate alone signs' };
      }
      case 'invoke': {
        const [invocations, signers, , options] = args as [
          Array<Record<string, unknown>>,
          Array<{ account: string; scopes: string }> | undefined,
          unknown,
          Record<string, string | number> | undefined,
        ];
        if (options && (Number(options.suggestedSystemFee) <= 0 || Number(options.extraSystemFee ?? 0) < 0)) throw { code: 10002, message: 'Invalid fee' };
        const sb = new sc.ScriptBuilder();
        for (const inv of invocations) {
          sb.emitContractCall({
            scriptHash: String(inv.hash),
            operation: String(inv.operation),
            args: ((inv.args as unknown[]) ?? []).map((x) => sc.ContractParam.fromJson(x as never)),
          });
          if (inv.abortOnFail) sb.emit(sc.OpCode.ASSERT);
        }
        const script = sb.build();
        const height = await rpc<number>('getblockcount', []);
        const t = new tx.Transaction({
          signers: (signers ?? [{ account: a.scriptHash, scopes: 'CalledByEntry' }]) as never,
          script,
          validUntilBlock: Number(options?.validUntilBlock ?? height - 1 + 5760),
        });
        if (options?.suggestedSystemFee !== undefined) t.systemFee = u.BigInteger.fromNumber(String(options.suggestedSystemFee));
        else {
          const run = await rpc<{ gasconsumed: string }>('invokescript', [u.HexString.fromHex(script).toBase64(), t.signers.map((s) => s.toJson())]);
          t.systemFee = u.BigInteger.fromNumber(run.gasconsumed);
        }
        t.witnesses = t.signers.map(() => new tx.Witness({ invocationScript: '', verificationScript: wallet.getVerificationScriptFromPublicKey(a.publicKey) }));
        t.networkFee = u.BigInteger.fromNumber(
          (await rpc<{ networkfee: string }>('calculatenetworkfee', [Buffer.from(t.serialize(true), 'hex').toString('base64')])).networkfee,
        );
        t.witnesses = [];
        if ((await gasOf(rpc, '0x' + a.scriptHash)) < BigInt(t.systemFee.toString()) + BigInt(t.networkFee.toString()))
          throw { code: 10007, message: 'Insufficient GAS' };
        const answer = await this.o.prompts.ask('invoke', {
          hostname,
          systemFee: t.systemFee.toString(),
          networkFee: t.networkFee.toString(),
          validUntilBlock: t.validUntilBlock,
        });
        if (answer === 'never') return never();
        if (answer === 'no') throw { code: 10006, message: 'Operation cancelled' };
        t.sign(a, this.o.network.magicNumber);
        const sent = await rpc<{ hash: string }>('sendrawtransaction', [Buffer.from(t.serialize(true), 'hex').toString('base64')]).catch(
          (e: { message: string }) => {
            throw { code: 10008, message: e.message } satisfies Nep21Error;
          },
        );
        return sent.hash;
      }
      default:
        throw { code: 10001, message: `not in this double: ${method}` };
    }
  }
}
