import { parseRate } from '../../../agent/src/shaper/rate.js';
import { RemotePhone, type PhoneEvent } from '../guest/remote.js';
import * as tb from '../testbed/index.js';
import { REPO_ROOT } from '../testbed/paths.js';
import type { System } from '../system/index.js';
import { download, type Download } from './browse.js';
import { gas, mb, mbit, short } from './format.js';
import type { Narrator } from './narrator.js';

/** A guest of the day: who, with which wallet and plan, and how it pays. */
export interface Guest {
  name: string;
  wallet: string;
  plan: string;
  /** Units the wallet deposits when it is not what the page asks. */
  deposit?: bigint;
  topup?: bigint;
}

const MB = 1_000_000;

/** The router's own CLI, as its owner would run it on the router. */
export function qlink(sys: System, args: string[]): Promise<tb.ExecResult> {
  return tb.exec(sys.id, 'router', ['node', 'dist/agent/src/cli/main.js', ...args], { cwd: REPO_ROOT, env: { NODE_OPTIONS: '' }, timeoutMs: 20_000 });
}

/**
 * The café's day: three guests join, pay and browse. c1 deposits little,
 * runs out mid-download, tops up and goes on; c2 browses and logs out; c3
 * browses and walks away, and the router ends its session when it has been
 * idle long enough.
 */
export class Day {
  readonly phones = new Map<string, RemotePhone>();

  constructor(
    private readonly sys: System,
    private readonly n: Narrator,
    readonly guests: Guest[],
  ) {}

  channelOf(name: string): bigint {
    const e = this.#phone(name).events.find((x) => x.ev === 'opened');
    if (!e) throw new Error(`${name} never opened a channel`);
    return BigInt(String(e.channelId));
  }

  /**
   * Everyone picks a plan on the portal and pays from their wallet, all at
   * once, as guests walking in do; each story starts when its guest is online
   * (waiting for the others could run into the idle timeout).
   */
  join(): void {
    for (const g of this.guests) {
      const phone = new RemotePhone(g.name, this.sys, g.name, {
        plan: g.plan,
        wallet: g.wallet,
        deposit: g.deposit,
        topup: g.topup,
        onEvent: (e) => this.#narrate(g.name, e),
      });
      this.phones.set(g.name, phone);
      this.n.say(`${g.name} joins the Wi-Fi, opens the portal and picks "${this.#plan(g.plan).name}" (${this.#planText(g.plan)})`);
    }
  }

  async online(name?: string): Promise<void> {
    const phones = name ? [this.#phone(name)] : [...this.phones.values()];
    await Promise.all(phones.map((p) => p.next('online', 120_000)));
  }

  async c1RunsOutAndTopsUp(name: string): Promise<void> {
    await this.online(name);
    const phone = this.#phone(name);
    const mark = phone.events.length;
    this.n.say(`${name} starts a 30 MB download; its deposit covers about ${mb(this.#mbOf(name, this.#deposit(name)))}`);
    const first = await download(this.sys.id, name, 30 * MB);
    this.#rate(name, first, first.complete ? 'finished' : `stopped after ${mb(first.bytes)}: the router held it (${first.error})`);
    await phone.next('topped-up', 60_000, mark);
    const back = phone.events.findIndex((e, i) => i >= mark && e.ev === 'topped-up');
    await phone.next('online', 60_000, back);
    this.n.say(`${name} starts the download again, 10 MB`);
    this.#rate(name, await download(this.sys.id, name, 10 * MB), 'finished');
  }

  async c2BrowsesAndLogsOut(name: string): Promise<void> {
    await this.online(name);
    this.n.say(`${name} downloads 3 MB`);
    this.#rate(name, await download(this.sys.id, name, 3 * MB), 'finished');
    this.n.say(`${name} taps "Log out"`);
    await this.#phone(name).logout();
  }

  async c3WalksAway(name: string): Promise<number> {
    await this.online(name);
    this.n.say(`${name} downloads 4 MB`);
    this.#rate(name, await download(this.sys.id, name, 4 * MB), 'finished');
    await this.#phone(name).leave();
    const idle = this.sys.agentConfig.idleTimeoutSeconds as number;
    this.n.say(`${name} walks away without logging out: its phone stops paying; the router ends the session after ${idle} s without a byte`);
    return Date.now();
  }

  /** True once the router no longer lets the guest through. */
  async isHeld(name: string): Promise<boolean> {
    const mac = this.sys.bed.clients.find((c) => c.name === name)!.mac;
    const r = await qlink(this.sys, ['clients', '--json']);
    if (r.code !== 0) return false;
    const list = JSON.parse(r.stdout) as Array<{ mac: string; state: string }>;
    return list.find((c) => c.mac === mac)?.state !== 'authorized';
  }

  async leaveAll(): Promise<void> {
    await Promise.all([...this.phones.values()].map((p) => p.leave()));
  }

  #narrate(name: string, e: PhoneEvent): void {
    const g = (k: string) => gas(BigInt(String(e[k])));
    switch (e.ev) {
      case 'opened':
        return this.n.say(
          `${name} paid: its wallet opened channel ${e.channelId} with ${g('deposit')} (tx ${short(String(e.txid))}, in a block after ${(Number(e.ms) / 1000).toFixed(1)} s)`,
        );
      case 'online':
        return this.n.say(e.ms === undefined ? `${name} is online again` : `${name} is online, ${(Number(e.ms) / 1000).toFixed(1)} s after paying`);
      case 'voucher':
        return this.n.say(`${name}'s phone signs a voucher for ${g('amount')} (used so far: ${g('cost')})`);
      case 'held':
        return this.n.say(
          e.reason === 'credit'
            ? `${name} is held: its deposit is spent (used ${g('cost')}, paid ${g('paid')}); HTTP goes back to the portal`
            : `${name}'s session ended (${String(e.reason)})`,
        );
      case 'topped-up':
        return this.n.say(`${name} tops up: its channel now holds ${g('deposit')} (tx ${short(String(e.txid))})`);
      case 'logged-out':
        return this.n.say(`${name} logged out after using ${g('cost')}; its newest voucher was for ${g('paid')}`);
      case 'voucher-refused':
      case 'error':
        return this.n.say(`${name}'s phone: ${String(e.message)}`);
    }
  }

  #rate(name: string, d: Download, what: string): void {
    const plan = this.#plan(this.#guest(name).plan);
    this.n.say(`${name}: ${what}; ${mb(d.bytes)} at ${mbit(d.bps)} (plan: ${mbit(parseRate(plan.down ?? '') ?? 0)})`);
  }

  #plan(id: string): { id: string; name: string; down?: string; up?: string; pricePerMb?: string; pricePerMinute?: string } {
    const plans = this.sys.agentConfig.plans as Array<{ id: string; name: string }>;
    const p = plans.find((x) => x.id === id);
    if (!p) throw new Error(`no plan ${id}`);
    return p;
  }

  #planText(id: string): string {
    const p = this.#plan(id);
    const price = p.pricePerMb ? `${p.pricePerMb} GAS a MB` : `${p.pricePerMinute} GAS a minute`;
    return `${price}, ${p.down} down / ${p.up} up`;
  }

  #deposit(name: string): bigint {
    return BigInt(String(this.#phone(name).events.find((e) => e.ev === 'opened')?.deposit ?? 0));
  }

  #mbOf(name: string, units: bigint): number {
    const perMb = Number(this.#plan(this.#guest(name).plan).pricePerMb ?? 0) * 1e8;
    return perMb ? (Number(units) / perMb) * MB : 0;
  }

  #guest(name: string): Guest {
    return this.guests.find((g) => g.name === name)!;
  }

  #phone(name: string): RemotePhone {
    const p = this.phones.get(name);
    if (!p) throw new Error(`no phone ${name}`);
    return p;
  }
}
