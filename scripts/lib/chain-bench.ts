import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startChain, type RunningChain } from './chain.js';
import { gasText, total } from './fees/block-fees.js';
import { measureChain } from './fees/measure.js';

// Measures what the README quotes: GAS (system + network fee, read from each
// transaction's block) and bytes of every contract method's typical
// transaction on a real neo-go private net at a fee policy profile, and how
// long `scripts/chain up` takes to a deployed contract. Where each fee goes
// (storage, transfers, crypto, syscalls, opcodes) is measured per
// instruction by the contract's fee tool: `cd contract && go run
// ./cmd/qlink-fees --policy <profile>` (contract/README.md "Costs"); this
// bench does not repeat it, it checks the real chain charges the same.

const { values } = parseArgs({ options: { policy: { type: 'string', default: process.env.QLINK_CHAIN_POLICY ?? 'default' } } });
const policy = values.policy as 'default' | 'mainnet' | 'testnet';
if (!['default', 'mainnet', 'testnet'].includes(policy)) throw new Error(`unknown --policy ${policy}`);
const BATCH = Number(process.env.QLINK_BENCH_BATCH ?? 50);
const STARTS = Number(process.env.QLINK_BENCH_STARTS ?? 3);

async function main(): Promise<void> {
  const starts: { wall: number; deployed: number }[] = [];
  let kept: RunningChain | undefined;
  try {
    for (let i = 0; i < STARTS; i++) {
      const t0 = performance.now();
      const chain = await startChain({ windowMs: 2000, policy });
      starts.push({ wall: performance.now() - t0, deployed: chain.state.deployedMs ?? NaN });
      if (i < STARTS - 1) await chain.stop();
      else kept = chain;
    }
    const { rows, policy: p } = await measureChain(kept!, BATCH);
    console.log(
      `policy ${policy}: ExecFeeFactor ${p.execFeeFactor}, StoragePrice ${p.storagePrice}, FeePerByte ${p.feePerByte} (read from the chain); ${new Date().toISOString().slice(0, 10)}`,
    );
    console.log('');
    console.log('| transaction | system fee (GAS) | network fee (GAS) | total (GAS) | bytes | per channel (GAS) |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      const t = total(r.fee);
      console.log(
        `| ${r.what} | ${gasText(r.fee.systemFee)} | ${gasText(r.fee.networkFee)} | ${gasText(t)} | ${r.fee.size} | ${r.perChannel ? gasText(t / BigInt(r.perChannel)) : ''} |`,
      );
    }
    console.log('');
    console.log(`Per-part breakdown (storage, transfers, crypto, syscalls, opcodes): cd contract && go run ./cmd/qlink-fees --policy ${policy}`);
  } finally {
    await kept?.stop();
  }
  console.log('');
  console.log('| `scripts/chain up` run | to contract deployed (ms) | whole `up` incl. funding (ms) |');
  console.log('| --- | ---: | ---: |');
  starts.forEach((s, i) => {
    console.log(`| ${i + 1} | ${s.deployed} | ${Math.round(s.wall)} |`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
