import { rootOfPath, roundPath, roundRoot } from '../../../protocol/src/index.js';
import type { KernelCounters } from './counters.js';
import type { Audit, Refunds } from './chain-view.js';
import { gas, num, type Check } from './report.js';
import type { Guest } from './scenario.js';
import type { AgentSession, BatchRow } from './stores.js';

const ZERO_HASH = '0'.repeat(64);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const bare = (h: string) => h.replace(/^0x/, '').toLowerCase();

export interface CountEvidence {
  counters: KernelCounters;
  sessions: AgentSession[];
  records: Map<number, { down: number; up: number; records: number }>;
  ids: { n: number; min: number | null; max: number | null };
  strays: number;
  lastRecordMade: number;
  flushAt: number | null;
  /** The agent's own account of the rebuild after the flush: when, and since when it had not read the counters. */
  restores: Array<{ at: number; lossWindowMs: number | null }>;
}

/**
 * (1) Per session, the bytes of its records at the gateway against what the
 * kernel's counters said (the suite's own readings, summed over every
 * counter the session had). The one allowed difference is the flush's: the
 * bytes a counter gained after the agent's last read and before the wipe
 * are gone with it, unread by the agent; they must be no more than the
 * counter gained in the agent's stated loss window (plus one second for the
 * read itself).
 */
export function checkBytes(e: CountEvidence): Check {
  const details: string[] = [];
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    details.push(`✗ ${line}`);
  };
  const contiguous = e.ids.n > 0 && e.ids.min === 1 && e.ids.max === e.ids.n && e.ids.max === e.lastRecordMade;
  if (!contiguous) fail(`record ids at the gateway: ${e.ids.n} from ${e.ids.min} to ${e.ids.max}; the router made 1..${e.lastRecordMade}`);
  else details.push(`${num(e.ids.n)} records at the gateway, ids 1..${num(e.ids.max ?? 0)} each once, as the router made them`);
  if (e.strays) fail(`${e.strays} records outside their batch's range`);
  for (const o of e.counters.oddities) fail(`kernel counter went down: ${o}`);

  const kernel = e.counters.totals();
  const restore = e.flushAt === null ? undefined : e.restores.find((r) => r.at >= e.flushAt!);
  const lastRead = restore?.lossWindowMs != null ? restore.at - restore.lossWindowMs : null;
  let wipedTotal = 0;
  let kernelTotal = 0;
  const ids = [...new Set([...e.sessions.map((s) => s.id), ...kernel.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const s = e.sessions.find((x) => x.id === id);
    const k = kernel.get(id) ?? { down: 0, up: 0 };
    const r = e.records.get(id) ?? { down: 0, up: 0, records: 0 };
    kernelTotal += k.down + k.up;
    const who = `session ${id}${s ? ` (${s.mac}, ${s.plan ?? 'no plan'}, ended: ${s.endReason ?? s.state})` : ''}`;
    const line = `${who}: kernel ${num(k.down)} down / ${num(k.up)} up, records ${num(r.down)} / ${num(r.up)} in ${r.records}`;
    if (s && (s.bytesDown !== r.down || s.bytesUp !== r.up)) fail(`${who}: the agent's totals ${num(s.bytesDown)} / ${num(s.bytesUp)} differ from its records`);
    if (k.down === r.down && k.up === r.up) {
      details.push(`${line}: equal`);
      continue;
    }
    const wiped = { down: k.down - r.down, up: k.up - r.up };
    const bound = flushBound(e.counters, id, e.flushAt, lastRead);
    if (bound && wiped.down >= 0 && wiped.up >= 0 && wiped.down <= bound.down && wiped.up <= bound.up) {
      wipedTotal += wiped.down + wiped.up;
      details.push(
        `${line}: ${num(wiped.down)} / ${num(wiped.up)} bytes wiped by the flush before the agent read them (bound: ${num(bound.down)} / ${num(bound.up)}, the counters' rise in the agent's loss window)`,
      );
    } else {
      fail(
        `${line}: ${num(wiped.down)} / ${num(wiped.up)} bytes ${wiped.down < 0 || wiped.up < 0 ? 'recorded beyond what the kernel counted' : 'missing'}${bound ? ` (flush bound ${num(bound.down)} / ${num(bound.up)})` : ''}`,
      );
    }
  }
  if (restore)
    details.push(
      `the flush: the agent's last read was ${restore.lossWindowMs} ms before its rebuild; ${num(wipedTotal)} bytes of ${num(kernelTotal)} (${((100 * wipedTotal) / Math.max(1, kernelTotal)).toFixed(3)} %) counted in that window were wiped unread`,
    );
  else if (e.flushAt !== null) fail('the agent recorded no rebuild after the flush');
  return {
    n: '1',
    ok,
    title:
      'every byte the kernel counted for each session is in exactly one record at the gateway, bar what a flush wipes before the agent reads it (within one poll)',
    details,
  };
}

/** What the session's counters of the flushed generation gained between the agent's last read (less a second) and the wipe. */
function flushBound(c: KernelCounters, id: number, flushAt: number | null, lastRead: number | null): { down: number; up: number } | null {
  if (flushAt === null || lastRead === null) return null;
  const gen = 0;
  const atWipe = c.sampleBefore(flushAt, gen)?.readings.get(id);
  if (!atWipe) return null;
  const before = c.sampleBefore(lastRead - 1_000, gen)?.readings.get(id);
  return { down: (atWipe.down?.bytes ?? 0) - (before?.down?.bytes ?? 0), up: (atWipe.up?.bytes ?? 0) - (before?.up?.bytes ?? 0) };
}

/** A settlement round as the gateway's books hold it: its batch hashes in leaf order, and the confirmed transaction that anchored it. */
export interface BookRound {
  anchorer: string;
  round: number;
  root: string;
  hashes: string[];
  txid: string | null;
}

export interface BatchEvidence {
  agent: Array<BatchRow & { ackedAt: number | null }>;
  gateway: BatchRow[];
  anomalies: Array<{ kind: string; seq: number; status: string; count: number }>;
  /** The router's batches' rounds (round_batches), one row per batch that is in a round. */
  placed: Array<{ seq: number; round: number; idx: number; confirmed: number }>;
  rounds: BookRound[];
  audit: Audit;
}

/**
 * (2) The router's batches, stored once in an unbroken chain at the gateway,
 * each in exactly one settlement round whose root the chain anchored exactly
 * once (one RoundAnchored event, in the round's confirmed transaction, with
 * the root the books hold, which is the root of the round's stored batch
 * hashes); each batch's inclusion path leads to that root; the chain's round
 * head is the last round and no round is skipped or anchored twice.
 */
export function checkBatches(e: BatchEvidence): Check {
  const details: string[] = [];
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    details.push(`✗ ${line}`);
  };
  const n = e.agent.length;
  const unacked = e.agent.filter((b) => b.ackedAt === null).length;
  if (unacked) fail(`${unacked} of the router's batches never acked`);
  if (e.gateway.length !== n) fail(`the router made ${n} batches, the gateway holds ${e.gateway.length}`);
  let broken = 0;
  e.gateway.forEach((b, i) => {
    const a = e.agent[i];
    if (b.seq !== i + 1 || b.prev !== (i === 0 ? ZERO_HASH : e.gateway[i - 1]!.hash)) broken++;
    else if (!a || a.hash !== b.hash || a.root !== b.root || a.records !== b.records) broken++;
  });
  if (broken) fail(`${broken} batches out of sequence, off the hash chain, or unlike the router's`);
  else details.push(`${n} batches, seq 1..${n}, each stored once with the router's hash and root, every prev the hash before it`);
  const open = e.anomalies.filter((a) => a.status !== 'resolved');
  if (open.length) fail(`anomalies at the gateway: ${open.map((a) => `${a.kind} seq ${a.seq} ×${a.count}`).join(', ')}`);
  else
    details.push(
      `no fork, gap or refused batch left at the gateway${e.anomalies.length ? ` (${plural(e.anomalies.length, 'gap', 'gaps')} held and resolved)` : ''}`,
    );

  // On chain: per round, its RoundAnchored events across all confirmed settlement transactions.
  const events = new Map<number, Array<{ txid: string; root: string }>>();
  for (const t of e.audit.txs) {
    for (const ev of t.events) {
      if (ev.name !== 'RoundAnchored') continue;
      const r = Number(ev.params.round);
      events.set(r, [...(events.get(r) ?? []), { txid: bare(t.txid), root: bare(String(ev.params.root)) }]);
    }
  }
  const byRound = new Map(e.rounds.map((r) => [r.round, r]));
  let badRounds = 0;
  for (const r of e.rounds) {
    const evs = events.get(r.round) ?? [];
    const why =
      r.hashes.length === 0 || roundRoot(r.hashes) !== r.root
        ? 'its stored batches do not give its root'
        : evs.length !== 1
          ? `${evs.length} RoundAnchored events on chain`
          : evs[0]!.root !== r.root
            ? 'the chain anchored another root'
            : !r.txid || evs[0]!.txid !== bare(r.txid)
              ? 'anchored by a transaction the books do not hold confirmed'
              : null;
    if (why) {
      badRounds++;
      fail(`round ${r.round}: ${why}`);
    }
  }
  const numbers = e.rounds.map((r) => r.round).sort((a, b) => a - b);
  const head = Number(e.audit.roundHead.round);
  if (numbers.some((x, i) => x !== i + 1) || head !== numbers.length)
    fail(`rounds in the books ${numbers.join(', ') || 'none'}; the chain's round head is ${head}`);
  const extra = [...events.keys()].filter((r) => !byRound.has(r));
  if (extra.length) fail(`rounds anchored on chain that the books do not hold: ${extra.join(', ')}`);

  const placed = new Map<number, Array<{ round: number; idx: number; confirmed: number }>>();
  for (const p of e.placed) placed.set(p.seq, [...(placed.get(p.seq) ?? []), p]);
  const notOnce = e.gateway.filter((b) => {
    const ps = placed.get(b.seq) ?? [];
    const r = ps.length === 1 ? byRound.get(ps[0]!.round) : undefined;
    if (!r || ps[0]!.confirmed !== 1 || r.hashes[ps[0]!.idx] !== b.hash) return true;
    return rootOfPath(b.hash, ps[0]!.idx, r.hashes.length, roundPath(r.hashes, ps[0]!.idx)) !== r.root;
  });
  if (notOnce.length)
    fail(
      `${notOnce.length} batches not in exactly one anchored round (seq ${notOnce
        .slice(0, 5)
        .map((b) => `${b.seq}: ${placed.get(b.seq)?.length ?? 0} rounds`)
        .join(', ')})`,
    );
  if (!badRounds && !notOnce.length && head === numbers.length) {
    const mine = new Set(e.placed.map((p) => p.round));
    details.push(
      `on chain: ${plural(numbers.length, 'round', 'rounds')} anchored, one RoundAnchored each, each root the root of the round's stored batches; ` +
        `this router's ${n} batches in ${plural(mine.size, 'round', 'rounds')}, each in exactly one, each inclusion path leading to its round's anchored root`,
    );
  }
  return {
    n: '2',
    ok,
    title: 'every batch is stored once in an unbroken hash chain and in exactly one settlement round anchored on chain exactly once',
    details,
  };
}

export interface PayEvidence {
  ownerBefore: bigint;
  ownerAfter: bigint;
  newest: Map<number, bigint>;
  guests: Guest[];
  audit: Audit;
  killedTx: string | null;
  txs: Array<{ txid: string; status: string }>;
}

/** (3) The owner's balance rose by the newest vouchers, which is what was redeemed per channel, paid once. */
export function checkOwner(e: PayEvidence): Check {
  const details: string[] = [];
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    details.push(`✗ ${line}`);
  };
  let newestSum = 0n;
  let redeemedSum = 0n;
  for (const g of e.guests) {
    const c = e.audit.channels.find((x) => x && Number(x.id) === g.channelId);
    const v = e.newest.get(g.channelId) ?? 0n;
    newestSum += v;
    redeemedSum += c?.redeemed ?? 0n;
    const line = `channel ${g.channelId} (${g.client}): newest voucher ${gas(v)}, redeemed on chain ${gas(c?.redeemed ?? 0n)}`;
    if (!c || c.redeemed !== v) fail(line);
    else details.push(line);
  }
  // Redeems by the settler, and the rise a cooperative close at log out paid.
  const paidEvents = e.audit.txs
    .flatMap((t) => t.events)
    .filter((ev) => ev.name === 'ChannelRedeemed' || ev.name === 'ChannelClosed')
    .reduce((s, ev) => s + BigInt(String(ev.params.paid)), 0n);
  const rise = e.ownerAfter - e.ownerBefore;
  const line = `owner's GAS: ${gas(e.ownerBefore)} → ${gas(e.ownerAfter)}, +${gas(rise)}; newest vouchers ${gas(newestSum)}; paid out by redeems and closes ${gas(paidEvents)}`;
  if (rise !== newestSum || rise !== redeemedSum || rise !== paidEvents) fail(line);
  else details.push(line);
  if (e.killedTx) {
    const t = e.txs.find((x) => x.txid === e.killedTx);
    const inAudit = e.audit.txs.filter((x) => bare(x.txid) === bare(e.killedTx!)).length;
    const l = `the transaction in flight at the gateway's kill -9 (${e.killedTx.slice(0, 12)}…): ${t?.status ?? 'unknown'}, once on chain`;
    if (t?.status !== 'confirmed' || inAudit !== 1) fail(l);
    else details.push(l);
  }
  const bad = e.txs.filter((t) => t.status !== 'confirmed');
  details.push(
    `${e.txs.length} settlement transactions: ${e.txs.length - bad.length} confirmed${bad.length ? `, ${bad.map((t) => t.status).join(', ')}` : ''}`,
  );
  return { n: '3', ok, title: "the owner was paid exactly the newest vouchers' sum", details };
}

export interface RefundEvidence {
  guests: Guest[];
  audit: Audit;
  /** Refunds sent after expiry, for the channels no log out closed. */
  refunds: Refunds;
  before: Map<string, bigint>;
  after: Map<string, bigint>;
  address: (wallet: string) => string;
}

/** (4) Each guest got deposit − redeemed back (at its log out's close, or by refund after expiry), and its wallet shows exactly that after the deposit and its own fees. */
export function checkRefunds(e: RefundEvidence): Check {
  const details: string[] = [];
  let ok = true;
  const closed = new Map<number, bigint>();
  for (const t of e.audit.txs) for (const ev of t.events) if (ev.name === 'ChannelClosed') closed.set(Number(ev.params.id), BigInt(String(ev.params.refunded)));
  for (const g of e.guests) {
    const c = e.audit.channels.find((x) => x && Number(x.id) === g.channelId);
    const r = e.refunds.find((x) => Number(x.channelId) === g.channelId);
    const back = closed.get(g.channelId) ?? (r?.vmstate === 'HALT' ? r.refunded : null);
    const how = closed.has(g.channelId)
      ? 'closed at log out'
      : r
        ? `refund after expiry${r.vmstate === 'HALT' ? '' : `: ${r.exception ?? r.vmstate}`}`
        : 'never closed nor refunded';
    const addr = e.address(g.wallet);
    const moved = (e.after.get(addr) ?? 0n) - (e.before.get(addr) ?? 0n);
    const want = c ? c.deposit - c.redeemed : null;
    const good = !!c && want !== null && back === want && moved === -c.deposit - g.fees + want && !(closed.has(g.channelId) && r);
    if (!good) ok = false;
    details.push(
      `${good ? '' : '✗ '}${g.client} channel ${g.channelId}, ${how}: deposit ${gas(c?.deposit ?? 0n)} − redeemed ${gas(c?.redeemed ?? 0n)} = ${gas(want ?? 0n)}; ` +
        `back ${back === null ? 'nothing' : gas(back)}; wallet ${gas(moved)} = −deposit −fees ${gas(g.fees)} + what came back`,
    );
  }
  return { n: '4', ok, title: "every guest's refund is exact", details };
}
