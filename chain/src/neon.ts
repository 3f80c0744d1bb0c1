import { type rpc, type sc, wallet } from '@cityofzion/neon-js';

// neon-js exports its modules as values only, so the classes' instance types
// are spelled out once here.
export type Account = InstanceType<typeof wallet.Account>;
export type ContractParam = InstanceType<typeof sc.ContractParam>;
export type RPCClient = InstanceType<typeof rpc.RPCClient>;

export function account(wifOrPrivateKey: string): Account {
  return new wallet.Account(wifOrPrivateKey);
}
