import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** Where held guests' DNS is redirected (the gate's prerouting): above 1024, so no privilege is needed to bind it. */
export const HELD_DNS_PORT = 5453;
/** Where paying guests' DNS is redirected when a plan zero-rates host names (the resolver fills the gate's sets). */
export const PAID_DNS_PORT = 5454;

export interface HeldResolverOptions {
  guestInterface: string;
  /** Host names of the walled garden: the only names answered for real. */
  gardenNames: readonly string[];
  /** The router's addresses on the guest interface: every other name answers with these (the portal). */
  portal: readonly string[];
  /** The resolver that answers the garden's names (the router's own dnsmasq). */
  upstream?: string;
  dir: string;
  port?: number;
  dnsmasq?: string;
  /** dnsmasq 2.90's --filter-rr (OpenWrt 24.10 has it); without it, only the address records' answers are withheld by address=. */
  filterRr?: boolean;
  /** Zero-rated names held guests may still look up (zones kept without credit): answered by upstream, put in the gate's sets. */
  zeroNames?: readonly string[];
  /** The zones' nftset= lines (gate/zero-rated.ts). */
  zeroSets?: readonly string[];
}

/** The router's own resolver, which answers what the guests' resolvers forward. */
const ROUTER_RESOLVER = '127.0.0.1#53';

/**
 * The lines both guest resolvers start with: a dnsmasq of the agent's own on
 * the guest interface, beside the router's (bind-dynamic), serving no DHCP and
 * reading no resolv.conf or hosts file.
 */
function guestResolverHead(what: string, port: number, guestInterface: string): string[] {
  return [
    `# qlink-agent: ${what} (written by the agent; edits are overwritten)`,
    `port=${port}`,
    `interface=${guestInterface}`,
    'bind-dynamic',
    `no-dhcp-interface=${guestInterface}`,
    'no-resolv',
    'no-hosts',
    'no-poll',
  ];
}

/** dnsmasq's config for the held guests' resolver: nothing forwarded but the garden's names, no TXT or the like in any answer. */
export function renderHeldConfig(o: HeldResolverOptions): string {
  const upstream = o.upstream ?? ROUTER_RESOLVER;
  const lines = [
    ...guestResolverHead('DNS for guests without a session', o.port ?? HELD_DNS_PORT, o.guestInterface),
    'no-negcache',
    // Only address records come back, even for the garden's names: nothing a tunnel could carry data in.
    ...(o.filterRr === false ? [] : ['filter-rr=TXT,NULL,MX,SRV,NS,PTR,HINFO,CAA,ANY']),
    // Every name is the portal (TTL 0, so nothing sticks once the guest has paid)...
    ...o.portal.map((a) => `address=/#/${a}`),
    // ...but the garden's, which the router's own resolver answers.
    ...o.gardenNames.map((n) => `server=/${n}/${upstream}`),
    // ...and the zero-rated names of plans that keep them without credit, whose addresses go to the gate's sets
    // (no cache here, so every answer passes the sets, even after the gate was rebuilt).
    ...(o.zeroNames?.length ? ['cache-size=0', ...o.zeroNames.map((n) => `server=/${n}/${upstream}`), ...(o.zeroSets ?? [])] : []),
    '',
  ];
  return lines.join('\n');
}

/**
 * dnsmasq's config for paying guests' resolver while a plan zero-rates host
 * names: everything forwarded to the router's resolver, the zero-rated names'
 * addresses put into the gate's sets as guests look them up. No cache of its
 * own, so each answer reaches the sets (the router's resolver caches).
 */
export function renderPaidConfig(o: { guestInterface: string; upstream?: string; port?: number; zeroSets: readonly string[] }): string {
  return [
    ...guestResolverHead('DNS for guests with a session while plans zero-rate host names', o.port ?? PAID_DNS_PORT, o.guestInterface),
    'cache-size=0',
    `server=${o.upstream ?? ROUTER_RESOLVER}`,
    ...o.zeroSets,
    '',
  ].join('\n');
}

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      /* next */
    }
  }
  return null;
}

/**
 * A dnsmasq of the agent's own that guests' DNS is redirected to. held():
 * the restricted resolver for held guests (issue 16): a
 * dnsmasq of the agent's own on HELD_DNS_PORT that answers the walled
 * garden's names through the router's resolver and every other name with the
 * portal's address, so the OS sign-in probes still find the portal and no
 * query for an outside name leaves the router (a DNS tunnel gets nothing
 * through). paid(): paying guests' resolver while a plan zero-rates host
 * names (renderPaidConfig). Either is restarted if it exits; stop() ends it.
 */
export class GuestResolver {
  #child: ChildProcess | null = null;
  #stopped = false;
  #opts: HeldResolverOptions;
  readonly port: number;
  readonly #conf: string;

  private constructor(
    opts: HeldResolverOptions,
    private readonly bin: string,
    private readonly log: Logger,
    private readonly render: (o: HeldResolverOptions) => string = renderHeldConfig,
    private readonly name = 'held-dns',
  ) {
    this.#opts = opts;
    this.port = opts.port ?? HELD_DNS_PORT;
    this.#conf = join(opts.dir, `${name}.conf`);
  }

  /**
   * Paying guests' resolver (renderPaidConfig) while some plan zero-rates host
   * names; null without dnsmasq (zero-rated names are then charged, their
   * prefixes still free).
   */
  static paid(opts: { guestInterface: string; dir: string; zeroSets: readonly string[]; dnsmasq?: string; port?: number }, log: Logger): GuestResolver | null {
    const bin = opts.dnsmasq ?? onPath('dnsmasq');
    if (!bin) {
      log.warn('dnsmasq not found: zero-rated host names are charged (their address prefixes stay free)');
      return null;
    }
    const port = opts.port ?? PAID_DNS_PORT;
    const r = new GuestResolver(
      { guestInterface: opts.guestInterface, gardenNames: [], portal: [], dir: opts.dir, port, zeroSets: opts.zeroSets },
      bin,
      log,
      (o) => renderPaidConfig({ guestInterface: o.guestInterface, port, zeroSets: o.zeroSets ?? [], ...(o.upstream ? { upstream: o.upstream } : {}) }),
      'paid-dns',
    );
    r.#spawn();
    return r;
  }

  /** Null (and a warning) when dnsmasq is not installed: held guests then use the router's resolver. */
  static held(opts: HeldResolverOptions, log: Logger): GuestResolver | null {
    const bin = opts.dnsmasq ?? onPath('dnsmasq');
    if (!bin) {
      log.warn("dnsmasq not found: held guests' DNS goes to the router's full resolver (a DNS tunnel stays open)");
      return null;
    }
    const filterRr = /--filter-rr/.test(spawnSync(bin, ['--help'], { encoding: 'utf8' }).stdout ?? '');
    if (!filterRr) log.warn("this dnsmasq has no --filter-rr (2.90+): the garden's names may answer with any record type");
    const r = new GuestResolver({ ...opts, filterRr }, bin, log);
    r.#spawn();
    return r;
  }

  /** Writes the config anew and restarts dnsmasq (a config reload of dnsmasq does not reread server= lines). */
  update(gardenNames: readonly string[], portal: readonly string[], zero?: { zeroNames: readonly string[]; zeroSets: readonly string[] }): void {
    this.#opts = { ...this.#opts, gardenNames, portal, ...zero };
    this.#child?.kill('SIGTERM');
  }

  stop(): void {
    this.#stopped = true;
    this.#child?.kill('SIGTERM');
  }

  #spawn(): void {
    mkdirSync(this.#opts.dir, { recursive: true });
    writeFileSync(this.#conf, this.render(this.#opts));
    const child = spawn(this.bin, ['--keep-in-foreground', `--conf-file=${this.#conf}`, '--pid-file='], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.unref();
    (child.stderr as unknown as { unref?(): void }).unref?.();
    const started = Date.now();
    child.on('exit', (code) => {
      if (this.#child === child) this.#child = null;
      if (this.#stopped) return;
      const quick = Date.now() - started < 2000;
      if (quick) this.log.error({ code, err: err.trim(), resolver: this.name }, "guests' resolver exited; restarting in 5 s");
      setTimeout(
        () => {
          if (!this.#stopped) this.#spawn();
        },
        quick ? 5000 : 100,
      ).unref();
    });
  }
}

/** The names of a walled-garden config (addresses and prefixes are not names). */
export const gardenNames = (entries: readonly string[]): string[] => entries.filter((e) => !isIP(e.split('/')[0] ?? ''));
