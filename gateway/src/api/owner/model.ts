import { addressOf } from '../../../../protocol/src/index.js';
import type { RouterStatus, StatusBook } from '../../ingest/status.js';
import type { OwnerViewStore, ProofStore, ReportStore, RouterCache, SponsorSpend, SponsorStore } from '../../store/store.js';
import type { ChainHead, DayTotals, RouterInfo, RouterProblem, RouterRound, SettlementTx } from '../../store/types.js';
import type { ChainAuditor, ChainCheck } from './chain-audit.js';
import type { RoundCheck, RoundChecker } from './round-check.js';
import type { TxBlocks } from './tx-blocks.js';

const DAY_MS = 86_400_000;
const TX_ROWS = 20;

export interface OwnerSources {
  stores: { owner: OwnerViewStore; routers: RouterCache; reports: ReportStore; sponsor?: Pick<SponsorStore, 'spend'>; proofs: ProofStore };
  statuses: StatusBook;
  auditor: ChainAuditor;
  /** Null without a chain to ask: the round is shown, its proof not checked. */
  rounds: RoundChecker | null;
  blocks: TxBlocks | null;
  clock: () => number;
}

export interface RouterView {
  address: string;
  /** The owner's NEO address; null for a router the chain registry has not answered for (status only). */
  owner: string | null;
  active: boolean;
  online: boolean;
  /** The newest status received while online or usage batch received; 0: never. */
  lastSeen: number;
  guests: number | null;
  sessions: number | null;
  chain: (ChainHead & ChainCheck) | null;
  /** The newest round anchored on chain that holds the router's batches, and the check of a sample proof. */
  round: (RouterRound & RoundCheck) | null;
  problems: RouterProblem[];
}

export interface OwnerView {
  now: number;
  days: number;
  /** The owner shown (NEO address), or null for the whole fleet. */
  owner: string | null;
  /** Fleet view: each owner with their number of routers, for links to their own view. */
  owners: Array<{ address: string; routers: number }>;
  routers: RouterView[];
  /** One entry per day of the window, oldest first, today last (UTC). */
  daily: DayTotals[];
  txs: Array<SettlementTx & { block: number | null }>;
  /** All time: what guests' usage cost, and what confirmed redeems paid. */
  earned: { metered: number; settled: number };
  /** Fleet view: open problems of senders that are not among the routers (unregistered keys, bad topics). */
  strangers: RouterProblem[];
  /** One owner's view, where the gateway sponsors: the network fees it paid for this owner's guests, today (UTC) and all time. */
  sponsored: { today: SponsorSpend; all: SponsorSpend } | null;
}

const ownerAddress = (hash: string) => addressOf(hash.replace(/^0x/i, ''));
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

function routerView(
  address: string,
  info: RouterInfo | undefined,
  s: RouterStatus | undefined,
  head: ChainHead | undefined,
  check: ChainCheck | undefined,
  round: (RouterRound & RoundCheck) | null,
  problems: RouterProblem[],
): RouterView {
  const online = s?.online ?? false;
  return {
    address,
    owner: info ? ownerAddress(info.owner) : null,
    active: info?.active ?? false,
    online,
    lastSeen: Math.max(online ? s!.receivedAt : 0, head?.lastReceivedAt ?? 0),
    guests: online ? count(s!.status.guests) : null,
    sessions: online ? count(s!.status.sessions) : null,
    chain: head && check ? { ...head, ...check } : null,
    round,
    problems,
  };
}

/** Everything the owner's page shows, for one owner (0x script hash) or, without one, the fleet. */
export async function ownerView(src: OwnerSources, q: { owner?: { hash: string; address: string }; days: number }): Promise<OwnerView> {
  const now = src.clock();
  const ownerHash = q.owner?.hash.toLowerCase();
  const today = Math.floor(now / DAY_MS);
  const fromMs = (today - q.days + 1) * DAY_MS;
  const [allRouters, heads, totals, txs, problems, earnings, rounds] = await Promise.all([
    src.stores.routers.listRouters(),
    src.stores.owner.chainHeads(ownerHash),
    src.stores.owner.dailyTotals({ owner: ownerHash, fromMs, toMs: (today + 1) * DAY_MS }),
    src.stores.owner.settlementTxs({ owner: ownerHash, limit: TX_ROWS }),
    src.stores.owner.openProblems(ownerHash),
    src.stores.reports.earnings(),
    src.stores.proofs.routerRounds(ownerHash),
  ]);
  const known = new Map(allRouters.filter((r) => !ownerHash || r.owner.toLowerCase() === ownerHash).map((r) => [r.address, r]));
  const headOf = new Map(heads.map((h) => [h.router, h]));
  const addresses = new Set([...known.keys(), ...headOf.keys()]);
  if (!ownerHash) for (const [a] of src.statuses.entries()) addresses.add(a);
  const checks = await src.auditor.check(heads);
  const proofs = src.rounds ? await src.rounds.check(rounds) : new Map<string, RoundCheck>();
  const roundOf = new Map(rounds.map((r) => [r.router, { ...r, ...(proofs.get(r.router) ?? { state: 'checking' as const, detail: 'no chain to ask' }) }]));
  const routers = [...addresses].map((a) =>
    routerView(
      a,
      known.get(a),
      src.statuses.get(a),
      headOf.get(a),
      checks.get(a),
      roundOf.get(a) ?? null,
      problems.filter((p) => p.router === a),
    ),
  );
  routers.sort((x, y) => Number(y.online) - Number(x.online) || (x.address < y.address ? -1 : 1));

  const byDay = new Map(totals.map((d) => [d.day, d]));
  const daily = Array.from({ length: q.days }, (_, i) => {
    const day = new Date((today - q.days + 1 + i) * DAY_MS).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, bytesDown: 0, bytesUp: 0, zeroDown: 0, zeroUp: 0, sessions: 0, metered: 0, paid: 0 };
  });

  const inBlock = txs.filter((t) => t.status === 'confirmed' || t.status === 'faulted').map((t) => t.txid);
  const blocks = src.blocks && inBlock.length ? await src.blocks.blocks(inBlock) : new Map<string, number>();

  const mine = earnings.filter((e) => !ownerHash || e.owner.toLowerCase() === ownerHash);
  const owners = new Map<string, number>();
  if (!ownerHash) for (const r of allRouters) owners.set(r.owner, (owners.get(r.owner) ?? 0) + 1);
  return {
    now,
    days: q.days,
    owner: q.owner?.address ?? null,
    owners: [...owners].map(([hash, n]) => ({ address: ownerAddress(hash), routers: n })).sort((x, y) => (x.address < y.address ? -1 : 1)),
    routers,
    daily,
    txs: txs.map((t) => ({ ...t, block: blocks.get(t.txid) ?? null })),
    earned: { metered: mine.reduce((n, e) => n + e.metered, 0), settled: mine.reduce((n, e) => n + e.settled, 0) },
    strangers: ownerHash ? [] : problems.filter((p) => !addresses.has(p.router)),
    sponsored:
      ownerHash && src.stores.sponsor
        ? { today: await src.stores.sponsor.spend(ownerHash, new Date(now).toISOString().slice(0, 10)), all: await src.stores.sponsor.spend(ownerHash, null) }
        : null,
  };
}
