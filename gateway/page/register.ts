import { scriptHashOfAddress } from '../../protocol/src/address.js';
import { fromHex, toHex } from '../../protocol/src/bytes.js';
import { encodePlanTerms, type PlanTerms } from '../../protocol/src/plan.js';
import { gasToUnits, zeroRatedFromText } from '../../protocol/src/plan-text.js';

/**
 * The registration page (GET /register): the owner connects NeoLine (its
 * legacy N3 dAPI, NeoNEXT/neoline extension/dapi/neo3.ts), comes back from
 * the router's claim page with a claim for their account, and signs one
 * transaction: registerRouter and a publishPlan per plan (invokeMultiple),
 * witnessed by their account (CalledByEntry). Then it follows the router's
 * record on chain through GET /register/status.
 */

interface PlanRow {
  id: number;
  name: string;
  pricePerMB: string;
  pricePerMinute: string;
  downKbps: number;
  upKbps: number;
  dataCapBytes: string;
  timeCapSeconds: number;
  validFrom: string;
  validUntil: string;
  zeroRated: string[];
  zeroRatedWithoutCredit: boolean;
}
interface Data {
  network: number;
  contract: string;
  router: string;
  plans: PlanRow[];
  lan: string | null;
  claim: { owner: string; until: string; sig: string } | null;
  record: { owner: string; active: boolean } | null;
  now: number;
  walletTimeoutMs: number;
}
interface N3 {
  getAccount(): Promise<{ address: string }>;
  invokeMultiple(p: Record<string, unknown>): Promise<{ txid: string }>;
}
type Win = typeof globalThis & { NEOLineN3?: { Init: new () => N3 } };

const data = JSON.parse(document.getElementById('qlink-data')!.textContent!) as Data;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const say = (text: string, kind: 'ok' | 'bad' | 'muted' = 'muted') => {
  const p = $('state');
  p.textContent = text;
  p.className = kind;
};
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
let owner: string | null = null;
let n3: N3 | null = null;

function timed<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, no) =>
      setTimeout(() => no(new Error(`${what}: the wallet did not answer (close NeoLine's window and try again)`)), data.walletTimeoutMs),
    ),
  ]);
}
const walletError = (e: unknown) => {
  const x = (e ?? {}) as { type?: string; description?: string; message?: string };
  if (x.type === 'CANCELED' || x.type === 'CONNECTION_DENIED') return 'You declined in the wallet; nothing was sent.';
  return x.description ?? x.message ?? String(e);
};

/** NeoLine announces itself with NEOLine.N3.EVENT.READY and window.NEOLineN3; the event may come first, so the global is polled too. */
function findNeoLine(ms: number): Promise<N3 | null> {
  const w = globalThis as Win;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => {
      if (w.NEOLineN3) return resolve(new w.NEOLineN3.Init());
      if (Date.now() - t0 > ms) return resolve(null);
      setTimeout(tick, 100);
    };
    tick();
  });
}

function rows(): PlanRow[] {
  return [...document.querySelectorAll<HTMLTableRowElement>('#plans tbody tr')].map((tr, i) => {
    const base = data.plans[i] ?? {
      id: i + 1,
      name: '',
      pricePerMB: '0',
      pricePerMinute: '0',
      downKbps: 0,
      upKbps: 0,
      dataCapBytes: '0',
      timeCapSeconds: 0,
      validFrom: '0',
      validUntil: '4102444800000',
      zeroRated: [],
      zeroRatedWithoutCredit: false,
    };
    const v = (name: string) => tr.querySelector<HTMLInputElement>(`[name=${name}]`)!.value.trim();
    return { ...base, id: Number(v('id')), name: v('name'), pricePerMB: v('mb'), pricePerMinute: v('min') };
  });
}

function terms(r: PlanRow): PlanTerms {
  const mb = gasToUnits(r.pricePerMB);
  const min = gasToUnits(r.pricePerMinute);
  if (!Number.isInteger(r.id) || r.id < 1 || r.id > 255) throw new Error(`plan id ${r.id}: 1 to 255`);
  if (mb === null || min === null) throw new Error(`plan ${r.id}: prices are GAS amounts such as 0.0001`);
  return {
    pricePerMB: mb,
    pricePerMinute: min,
    downKbps: r.downKbps,
    upKbps: r.upKbps,
    dataCapBytes: BigInt(r.dataCapBytes),
    timeCapSeconds: r.timeCapSeconds,
    validFrom: BigInt(r.validFrom),
    validUntil: BigInt(r.validUntil),
    name: r.name,
    zeroRated: r.zeroRated.map(zeroRatedFromText),
    zeroRatedWithoutCredit: r.zeroRatedWithoutCredit,
  };
}

function addRow(p?: PlanRow): void {
  const n = document.querySelectorAll('#plans tbody tr').length;
  const tr = document.createElement('tr');
  const cell = (name: string, value: string, size: number, label: string) => {
    const td = document.createElement('td');
    td.dataset.label = label;
    const input = document.createElement('input');
    Object.assign(input, { name, value, size });
    input.setAttribute('aria-label', label);
    td.append(input);
    tr.append(td);
  };
  cell('id', String(p?.id ?? n + 1), 3, 'Plan id');
  cell('name', p?.name ?? '', 18, 'Name');
  cell('mb', p?.pricePerMB ?? '0.0001', 10, 'GAS per MB');
  cell('min', p?.pricePerMinute ?? '0', 10, 'GAS per minute');
  $('plans').querySelector('tbody')!.append(tr);
}

async function connect(): Promise<void> {
  n3 ??= await findNeoLine(5_000);
  if (!n3) return say('No NeoLine wallet in this browser: install NeoLine, or register with `qlink register --wif-file` on the router.', 'bad');
  try {
    const a = await timed(n3.getAccount(), 'connect');
    owner = scriptHashOfAddress(a.address);
    $('account').textContent = a.address;
  } catch (e) {
    return say(walletError(e), 'bad');
  }
  if (data.record?.active && data.record.owner.toLowerCase() !== owner)
    return say('This router is registered to another account: only its owner publishes its plans.', 'bad');
  if (!data.record && (!data.claim || data.claim.owner.toLowerCase() !== owner || Number(data.claim.until) <= Date.now())) {
    if (!data.lan) return say('This link carries no claim for your account: open the link the router shows on its LAN page.', 'bad');
    say('Asking your router to sign a claim for this account…');
    location.href = `${data.lan}?owner=${owner}`;
    return;
  }
  ($('register') as HTMLButtonElement).disabled = false;
  say(
    data.record
      ? 'Connected. Your router is registered: publish your plans (a new version of a plan applies to channels opened after it).'
      : 'Connected. One confirmation in NeoLine registers the router and publishes your plans.',
    'ok',
  );
}

async function register(): Promise<void> {
  if (!n3 || !owner) return;
  let calls: Array<{ scriptHash: string; operation: string; args: unknown[] }>;
  try {
    const plans = rows().map((r) => ({ id: r.id, bytes: encodePlanTerms(terms(r)) }));
    calls = plans.map((p) => ({
      scriptHash: data.contract,
      operation: 'publishPlan',
      args: [
        { type: 'Hash160', value: owner },
        { type: 'Integer', value: String(p.id) },
        { type: 'ByteArray', value: base64(p.bytes) },
      ],
    }));
    if (!data.record) {
      const c = data.claim!;
      calls.unshift({
        scriptHash: data.contract,
        operation: 'registerRouter',
        args: [
          { type: 'Hash160', value: owner },
          { type: 'PublicKey', value: data.router },
          { type: 'Integer', value: c.until },
          { type: 'ByteArray', value: base64(fromHex(c.sig, 64)) },
        ],
      });
    }
  } catch (e) {
    return say((e as Error).message, 'bad');
  }
  ($('register') as HTMLButtonElement).disabled = true;
  say('Confirm in NeoLine…');
  let txid: string;
  try {
    // fee '0': no priority fee on top of calculatenetworkfee's, so the owner pays the network's minimum.
    txid = (await timed(n3.invokeMultiple({ invokeArgs: calls, signers: [{ account: owner.replace(/^0x/, ''), scopes: 1 }], fee: '0' }), 'invokeMultiple'))
      .txid;
  } catch (e) {
    ($('register') as HTMLButtonElement).disabled = false;
    return say(walletError(e), 'bad');
  }
  $('txid').textContent = txid;
  say('Sent; waiting for the block…');
  const want = rows().map((r) => r.id);
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    const s = await fetch(`./register/status?router=${data.router}`)
      .then(
        (r) =>
          r.json() as Promise<{ registered: boolean; owner: string | null; plans: Array<{ id: number; version: number; name: string; pricePerMB: string }> }>,
      )
      .catch(() => null);
    if (!s?.registered || s.owner?.toLowerCase() !== owner) continue;
    const mine = s.plans.filter((p) => want.includes(p.id));
    if (mine.length < want.length) continue;
    $('done').hidden = false;
    $('published').textContent = mine.map((p) => `${p.name} (plan ${p.id}, version ${p.version}, ${p.pricePerMB} GAS/MB)`).join('; ');
    return say('Registered. Your router sees it within a minute and starts selling; no restart.', 'ok');
  }
  say(`Transaction ${txid} sent, but the chain does not show it yet: reload this page later.`, 'bad');
}

for (const p of data.plans.length ? data.plans : [undefined]) addRow(p);
$('add-plan').addEventListener('click', () => addRow());
$('connect').addEventListener('click', () => void connect());
$('register').addEventListener('click', () => void register());
$('router').textContent = toHex(fromHex(data.router, 33));
// Back from the router's claim page: connect again at once (NeoLine remembers the site).
if (data.claim && !data.record) void connect();
