import type { RouterProblem } from '../../store/types.js';
import { barChart } from './chart.js';
import { ago, bytes, gas, gasShort, plural, utc } from './format.js';
import { html, type Html } from './html.js';
import type { OwnerView, RouterView } from './model.js';
import { STYLE } from './style.js';

export const REFRESH_SECONDS = 60;

const range = (a: number, b: number) => (a === b ? `${a}` : `${a}–${b}`);

/** A problem ingest reported, in words. */
export function problemText(p: RouterProblem): string {
  const seen = p.seen > p.problems ? ` (seen ${p.seen} times)` : '';
  switch (p.kind) {
    case 'gap':
      return `${p.problems === 1 ? 'Batch' : 'Batches'} ${range(p.firstSeq, p.lastSeq)} held: an earlier batch has not arrived yet`;
    case 'fork':
      return `Batch ${range(p.firstSeq, p.lastSeq)} refused: it conflicts with the stored chain (${p.detail})${seen}`;
    case 'bad-batch':
      return `Batch ${range(p.firstSeq, p.lastSeq)} refused: ${p.detail}${seen}`;
    case 'unknown-router':
      return `Usage refused: ${p.detail}${seen}`;
    case 'wrong-deployment':
      return `Usage refused: sent for another network or contract (${p.detail})${seen}`;
    case 'oversized':
      return `${plural(p.problems, 'message')} refused: too large${seen}`;
    case 'malformed':
      return `${plural(p.problems, 'message')} refused: not a usage batch (${p.detail})${seen}`;
    case 'bad-voucher':
      return `Batch ${range(p.firstSeq, p.lastSeq)} kept, but vouchers in it failed the check and are not collected: ${p.detail}${seen}`;
  }
}

const chainCell = (r: RouterView): Html => {
  const c = r.chain;
  if (!c) return html`<span class="muted">no batches yet</span>`;
  if (c.state === 'verified') return html`<span class="ok">✔ Verified</span> <span class="muted">batches 1–${c.lastSeq}</span>`;
  if (c.state === 'checking') return html`<span class="warn">Checking…</span> <span class="muted">1–${c.checkedTo} of ${c.lastSeq} verified so far</span>`;
  return html`<span class="bad">✘ Broken</span> <span class="muted">${c.problem}</span>`;
};

const roundCell = (r: RouterView): Html => {
  const x = r.round;
  if (!x) return html`<span class="muted">${r.chain ? 'not in an anchored round yet' : '—'}</span>`;
  const what = html`round ${x.round} <span class="muted">batches to #${x.lastSeq} · ${utc(x.createdAt)}</span>`;
  if (x.state === 'verified') return html`<span class="ok" title="${x.detail}">✔ Anchored</span> ${what}`;
  if (x.state === 'checking') return html`<span class="warn" title="${x.detail}">Checking…</span> ${what}`;
  return html`<span class="bad">✘ Proof failed</span> ${what}<div class="bad small">${x.detail}</div>`;
};

function routerRow(r: RouterView, fleet: boolean, now: number): Html {
  const status = r.online ? html`<span class="dot on"></span>Online` : html`<span class="dot off"></span>Offline`;
  const owner = fleet && r.owner ? html`<div class="muted small">owner <a href="?owner=${r.owner}">${r.owner}</a></div>` : '';
  const retired = r.owner && !r.active ? html`<div class="warn small">retired on chain</div>` : '';
  const problems = r.problems.length
    ? html`<ul class="problems">${r.problems.map((p) => html`<li class="${p.status === 'held' ? 'warn' : 'bad'}">${problemText(p)}</li>`)}</ul>`
    : html`<span class="muted">none</span>`;
  return html`<tr>
<td data-label="Router"><div><code class="addr">${r.address}</code>${owner}${retired}</div></td>
<td data-label="Status" class="nowrap"><div>${status}</div></td>
<td data-label="Last seen" class="nowrap"><div><span title="${r.lastSeen ? utc(r.lastSeen) : 'never'}">${ago(r.lastSeen, now)}</span></div></td>
<td data-label="Guests now" class="num"><div>${r.guests ?? '—'}</div></td>
<td data-label="Batches" class="num"><div>${r.chain ? html`${r.chain.batches.toLocaleString('en-US')} <span class="muted small">last #${r.chain.lastSeq}</span>` : '0'}</div></td>
<td data-label="Batch chain"><div>${chainCell(r)}</div></td>
<td data-label="On chain"><div>${roundCell(r)}</div></td>
<td data-label="Problems"><div>${problems}</div></td>
</tr>`;
}

const STATE: Record<string, [string, string]> = {
  pending: ['Pending', 'warn'],
  confirmed: ['Confirmed', 'ok'],
  faulted: ['Failed', 'bad'],
  expired: ['Expired, sent again', 'muted'],
};

function txRow(t: OwnerView['txs'][number]): Html {
  const [label, cls] = STATE[t.status] ?? [t.status, 'muted'];
  const carries = [
    t.channels ? plural(t.channels, 'payment channel') : '',
    t.round !== null ? `round ${t.round}: ${plural(t.anchors, 'batch', 'batches')} anchored` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const paid = t.status === 'confirmed' ? `${gas(t.paid)} GAS` : t.status === 'pending' && t.paid ? `claims ${gas(t.paid)} GAS` : '—';
  return html`<tr>
<td data-label="Sent"><div>${utc(t.createdAt)}</div></td>
<td data-label="Transaction"><div><code class="hash">${t.txid}</code></div></td>
<td data-label="State"><div><span class="badge ${cls}" title="${t.detail ?? ''}">${label}</span></div></td>
<td data-label="Block" class="num"><div>${t.block ?? '—'}</div></td>
<td data-label="Carries"><div>${carries || '—'}</div></td>
<td data-label="Paid to owner" class="num"><div>${paid}</div></td>
<td data-label="Fee" class="num"><div>${t.gasFee === null ? '—' : `${gas(t.gasFee)} GAS`}</div></td>
</tr>`;
}

function charts(v: OwnerView): Html {
  const days = v.daily.map((d) => d.day);
  const usage = barChart({
    title: `Data used per day, last ${v.days} days`,
    days,
    stacked: true,
    format: bytes,
    series: [
      { name: 'downloaded', cls: 'down', values: v.daily.map((d) => d.bytesDown) },
      { name: 'uploaded', cls: 'up', values: v.daily.map((d) => d.bytesUp) },
      { name: 'zero-rated (free)', cls: 'zero', values: v.daily.map((d) => d.zeroDown + d.zeroUp) },
    ],
  });
  const earnings = barChart({
    title: `Earnings per day in GAS, last ${v.days} days`,
    days,
    stacked: false,
    format: (n) => gasShort(n),
    series: [
      { name: 'guests\u2019 usage', cls: 'metered', values: v.daily.map((d) => d.metered) },
      { name: 'paid on chain', cls: 'paid', values: v.daily.map((d) => d.paid) },
    ],
  });
  const sum = (f: (d: OwnerView['daily'][number]) => number) => v.daily.reduce((n, d) => n + f(d), 0);
  return html`<div class="charts">
<figure><figcaption>Data used per day <span class="muted">${bytes(sum((d) => d.bytesDown + d.bytesUp))} charged and ${bytes(sum((d) => d.zeroDown + d.zeroUp))} zero-rated in ${v.days} days, ${plural(
    sum((d) => d.sessions),
    'guest session',
  )}</span></figcaption>
${usage}<ul class="legend"><li><span class="sw down"></span>downloaded</li><li><span class="sw up"></span>uploaded</li><li><span class="sw zero"></span>zero-rated (free to guests)</li></ul></figure>
<figure><figcaption>Earnings per day, GAS</figcaption>
${earnings}<ul class="legend"><li><span class="sw metered"></span>guests’ usage</li><li><span class="sw paid"></span>paid to you on chain</li></ul></figure>
</div>`;
}

/** The whole page: server-rendered, no script; every value from the store or the network goes through html``. */
export function renderOwnerPage(v: OwnerView): string {
  const fleet = v.owner === null;
  const online = v.routers.filter((r) => r.online).length;
  const guests = v.routers.reduce((n, r) => n + (r.guests ?? 0), 0);
  const metered = v.daily.reduce((n, d) => n + d.metered, 0);
  const paid = v.daily.reduce((n, d) => n + d.paid, 0);
  const q = (days: number) => `?${v.owner ? `owner=${v.owner}&` : ''}days=${days}`;
  const windowLinks = [14, 30].map((d) => (d === v.days ? html`<strong>${d} days</strong>` : html`<a href="${q(d)}">${d} days</a>`));
  const body = html`<header>
<h1>${fleet ? 'All hotspots' : 'Your Wi-Fi hotspots'}</h1>
<p class="muted">${fleet ? 'Fleet view: every router this gateway knows.' : html`Owner <code class="addr">${v.owner}</code> · <a href="./owner">all hotspots</a>.`}
 Updated ${utc(v.now)}; the page refreshes every minute.</p>
</header>
<p class="lead">Guests on your Wi-Fi pay for what they use through payment channels on the NEO N3 blockchain.
Your routers count each guest's data and time, sign what they counted and send it here in numbered batches;
this gateway checks every batch, keeps it, and collects the guests' payments for you on chain.</p>
<section class="tiles">
<div class="tile"><div class="big">${online} <span class="of">of ${v.routers.length}</span></div>routers online</div>
<div class="tile"><div class="big">${guests}</div>guests online now</div>
<div class="tile"><div class="big" title="${gas(metered)} GAS">${gasShort(metered)} <span class="of">GAS</span></div>earned in ${v.days} days</div>
<div class="tile"><div class="big" title="${gas(paid)} GAS">${gasShort(paid)} <span class="of">GAS</span></div>paid to ${fleet ? 'owners' : 'you'} on chain in ${v.days} days</div>
</section>
<p class="muted">All time: guests used ${gas(v.earned.metered)} GAS of service, and ${gas(v.earned.settled)} GAS has been paid to ${fleet ? 'the owners' : 'you'} on chain.
What guests have signed for but is not yet paid goes out with the next settlement.</p>
${
  v.sponsored
    ? html`<p class="muted" id="sponsored">Network fees this gateway paid for your guests, so that each paid exactly their deposit:
today ${gas(v.sponsored.today.fees)} GAS (${plural(v.sponsored.today.opened, 'channel')} opened, ${plural(v.sponsored.today.sent, 'transaction')});
all time ${gas(v.sponsored.all.fees)} GAS for ${plural(v.sponsored.all.opened, 'channel')}.</p>`
    : ''
}

<section>
<h2>Last ${v.days} days <span class="switch">${windowLinks[0]} · ${windowLinks[1]}</span></h2>
${charts(v)}
<p class="muted small">Days are UTC. “Guests’ usage” is what the guests' data and time cost on the day they used it;
“paid on chain” is what settlement transactions confirmed that day paid into ${fleet ? 'the owners\u2019 wallets' : 'your wallet'}.</p>
</section>

<section>
<h2>Routers</h2>
<p class="muted small">Each router numbers its usage batches 1, 2, 3…, links each to the one before by its hash, and signs it.
The gateway checks every stored batch again: no number missing, every link and signature right, and every batch's records
still matching its hash. <strong>Verified</strong> means no batch was dropped, changed or slipped in. Each settlement round puts
one Merkle root over every new batch of every router on chain; <strong>Anchored</strong> means the proof of the router's newest
batch in its newest anchored round was checked against the chain here (anyone can check any batch:
<code>/api/proof?router=…&amp;seq=…</code> and <code>qlink-gateway verify</code>). Problems are what the gateway
refused or is holding back; they stay listed until an operator resolves them.</p>
${
  v.routers.length
    ? html`<table class="cards">
<thead><tr><th>Router</th><th>Status</th><th>Last seen</th><th>Guests now</th><th>Batches</th><th>Batch chain</th><th>On chain</th><th>Problems</th></tr></thead>
<tbody>${v.routers.map((r) => routerRow(r, fleet, v.now))}</tbody></table>`
    : html`<p class="empty">No routers yet. A router appears here once it sends its status or its first usage batch.</p>`
}
${
  v.strangers.length
    ? html`<p class="bad small">Also refused, from senders that are not registered routers:
${v.strangers.map((p) => html`<br><code class="addr">${p.router}</code>: ${problemText(p)}`)}</p>`
    : ''
}
</section>

<section>
<h2>Settlement transactions</h2>
<p class="muted small">The gateway settles in transactions on the NEO N3 chain: each redeems the guests' newest signed payments
(vouchers) into ${fleet ? 'the owners\u2019 wallets' : 'your wallet'} and, once a round, anchors one root over the routers' new batches on chain.
<strong>Pending</strong>: sent, waiting for a block. <strong>Confirmed</strong>: in a block; paid. <strong>Failed</strong>:
the chain refused it; what it carried goes into the next one. The fee is paid by the gateway.</p>
${
  v.txs.length
    ? html`<table class="cards">
<thead><tr><th>Sent</th><th>Transaction</th><th>State</th><th>Block</th><th>Carries</th><th>Paid to owner</th><th>Fee</th></tr></thead>
<tbody>${v.txs.map(txRow)}</tbody></table>`
    : html`<p class="empty">No settlement transactions yet.</p>`
}
</section>
${fleet && v.owners.length ? html`<section><h2>Owners</h2><ul class="owners">${v.owners.map((o) => html`<li><a href="?owner=${o.address}"><code class="addr">${o.address}</code></a> · ${plural(o.routers, 'router')}</li>`)}</ul></section>` : ''}
<footer class="muted small">qlink gateway · the same data as JSON: <code>/routers</code>, <code>/usage/daily</code>, <code>/earnings</code>,
<code>/transactions</code>, <code>/anomalies</code>; Prometheus: <code>/metrics</code>.</footer>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}"><link rel="icon" href="data:,">
<title>${fleet ? 'All hotspots' : 'Your hotspots'} · qlink</title><style>${STYLE}</style></head>
<body><main>${body.text}</main></body></html>`;
}
