import type { Logger } from 'pino';
import type { SettlementStore } from '../store/store.js';
import { txHeader, type SettleChain } from './chain.js';

/**
 * Brings the books in line with the chain for every pending transaction:
 * settled on its application log (HALT confirmed, FAULT faulted, which
 * releases its items), expired once a block past its validUntilBlock exists
 * without it (its items go into a new transaction), otherwise sent again
 * once per process, since a crash may have come before the bytes left.
 * Returns how many are still pending.
 */
export async function checkPending(store: SettlementStore, chain: SettleChain, relayed: Set<string>, log: Logger, clock: () => number): Promise<number> {
  let still = 0;
  for (const p of await store.pendingRaw()) {
    const raw = Buffer.from(p.raw, 'hex');
    const h = txHeader(raw);
    const gasFee = Number(h.systemFee + h.networkFee);
    let ex = await chain.executed(p.txid);
    if (!ex) {
      const count = await chain.height();
      // Block count > vub + 1: block vub and one after it are persisted, so
      // a transaction in either would have a log; ask once more to close the race.
      if (count > p.validUntilBlock + 1) {
        ex = await chain.executed(p.txid);
        if (!ex) {
          await store.settle(p.txid, { status: 'expired', vmstate: null, detail: `not on chain by block ${p.validUntilBlock}`, gasFee: 0, at: clock() });
          log.warn({ txid: p.txid, validUntilBlock: p.validUntilBlock }, 'settlement tx expired; its items go into a new one');
          continue;
        }
      }
    }
    if (ex) {
      const status = ex.vmstate === 'HALT' ? 'confirmed' : 'faulted';
      await store.settle(p.txid, { status, vmstate: ex.vmstate, detail: ex.exception, gasFee, at: clock() });
      (status === 'confirmed' ? log.info : log.warn).call(
        log,
        { txid: p.txid, vmstate: ex.vmstate, exception: ex.exception, gasFee },
        `settlement tx ${status}`,
      );
      continue;
    }
    if (!relayed.has(p.txid)) {
      await chain.relay(raw);
      relayed.add(p.txid);
      log.info({ txid: p.txid }, 'pending settlement tx sent again');
    }
    still++;
  }
  return still;
}
