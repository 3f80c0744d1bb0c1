import { parseArgs } from 'node:util';
import { startChain } from './chain.js';
import { measureChain } from './fees/measure.js';
import { profileJson, sessionCosts, type Split } from './fees/sessions.js';

// What a guest session costs on chain, all in, at each fee policy profile,
// from fees read off the blocks of a real neo-go private chain set to that
// profile (scripts/chain up --policy): split by who pays and by what.
//   scripts/bench-fees [--json] [--policy default,mainnet,testnet]

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, policy: { type: 'string', default: 'default,mainnet,testnet' } } });
const profiles = values.policy.split(',') as Array<'default' | 'mainnet' | 'testnet'>;
const LOAD = { sessionsPerDay: 1000, roundsPerDay: 24 };
const BATCH = Math.ceil(LOAD.sessionsPerDay / LOAD.roundsPerDay);
const say = (s: string) => (values.json ? process.stderr.write(s + '\n') : console.log(s));
const g = (x: number) => x.toFixed(6);

const out: Record<string, ReturnType<typeof profileJson>> = {};
for (const profile of profiles) {
  say(`== ${profile}: starting a private chain at the ${profile} policy`);
  const chain = await startChain({ policy: profile });
  try {
    const { m, policy } = await measureChain(chain, BATCH);
    const c = sessionCosts(m, LOAD);
    out[profile] = profileJson(c);
    say(
      `${profile}: ExecFeeFactor ${policy.execFeeFactor}, StoragePrice ${policy.storagePrice}, FeePerByte ${policy.feePerByte}, read from the chain on ${new Date().toISOString().slice(0, 10)}`,
    );
    say('');
    say('| a session | open | redeem share | close or refund | anchor share | total | guest pays | sponsor pays | gateway pays |');
    say('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const line = (what: string, s: Split) =>
      say(
        `| ${what} | ${g(s.open)} | ${g(s.redeem)} | ${g(s.closeOrRefund)} | ${g(s.anchor)} | ${g(s.total)} | ${g(s.guest)} | ${g(s.sponsor)} | ${g(s.gateway)} |`,
      );
    line('one-off guest, logs out (the gateway closes)', c.oneOff);
    line('one-off guest, sponsored open, logs out', c.oneOffSponsored);
    line(`one-off guest, walks away (redeemed in a batch of ${BATCH}, refunds after expiry)`, c.walkedAway);
    line(`a channel serving 10 sessions (9 redeems in batches of ${BATCH}, closed at the last log out), per session`, c.reused10);
    line('the same, redeemed only by the close at the last log out (not what the settler does: it redeems each round), per session', c.reused10CloseOnly);
    say('');
    say(
      `owner with ${LOAD.sessionsPerDay.toLocaleString('en-US')} sessions a day and hourly rounds: ${LOAD.roundsPerDay} anchors a day, ${g(c.anchorsPerDay)} GAS, ` +
        `${g(c.anchorPerSession)} GAS a session; vouchers redeemed hourly in batches of ${BATCH}: ${g(Number(m.redeemBatch.systemFee + m.redeemBatch.networkFee) / 1e8 / m.channels)} GAS a channel`,
    );
    say(
      `measured transactions (GAS, system + network, from their blocks): open ${g(tot(m.open))}, sponsored open ${g(tot(m.openSponsored))} (paid by the sponsor; the guest's GAS moved by the deposit exactly), ` +
        `close ${g(tot(m.closeFirst))} (first redeem) / ${g(tot(m.closeAfterRedeem))} (after one), redeemBatch of ${m.channels} ${g(tot(m.redeemBatch))}, anchorRound ${g(tot(m.anchor))}, refund ${g(tot(m.refund))}`,
    );
    say('');
  } finally {
    await chain.stop();
  }
}
if (values.json) console.log(JSON.stringify({ profiles: out }));

function tot(f: { systemFee: bigint; networkFee: bigint }): number {
  return Number(f.systemFee + f.networkFee) / 1e8;
}
