import type { ChannelLookup } from '../../gateway/src/ingest/vouchers.js';
import { type Channel, type Deployment, voucherMessage } from '../../protocol/src/index.js';
import { newKeyPair, signP256 } from '../../protocol/src/node/index.js';

/** Channels as the chain would hold them, for the gateway's voucher check in unit tests and benchmarks; counts reads, can go down. */
export class MemoryChainChannels implements ChannelLookup {
  readonly channels = new Map<number, Channel>();
  reads = 0;
  down = false;
  /** A node that takes the call and never answers (a dropped port): the read hangs. */
  hang = false;
  #next = 1;

  constructor(private readonly d: Deployment) {}

  async channel(id: number): Promise<Channel | null> {
    this.reads++;
    if (this.hang) return new Promise(() => undefined);
    if (this.down) throw new Error('chain RPC getChannel: no answer');
    const c = this.channels.get(id);
    return c ? { ...c } : null;
  }

  /** A channel paying `owner`, and a signer of its vouchers. */
  open(owner: string, deposit: bigint): { id: number; sign(amount: number | bigint): string } {
    const id = this.#next++;
    const key = newKeyPair();
    this.channels.set(id, {
      id: BigInt(id),
      guest: '0x' + '99'.repeat(20),
      owner,
      token: '0xd2a4cff31913016155e38e474a2c06d08be276cf',
      voucherKey: key.publicKey,
      deposit,
      redeemed: 0n,
      expiry: 4_102_444_800_000n,
      closed: false,
      planId: 1,
      planVersion: 1,
    });
    return { id, sign: (amount) => signP256(key.privateKey, voucherMessage(this.d, BigInt(id), BigInt(amount))).toString('hex') };
  }
}
