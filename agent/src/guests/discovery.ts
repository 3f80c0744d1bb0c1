import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { basename, dirname } from 'node:path';
import type { CommandRunner } from '../kernel/run.js';
import type { Sighting } from '../store/guests.js';
import { ipv4Mask, ipv4Number } from '../net/prefixes.js';
import { parseLeases } from './leases.js';
import { parseNativeNeighbours, parseNeighbours } from './neighbours.js';

/** The IPv4 subnets on an interface, as one of its addresses and the prefix length. */
export type InterfaceSubnets = (name: string) => Array<{ address: string; prefixLength: number }>;

/** From getifaddrs (os.networkInterfaces): no process a poll. An interface that is down or gone has none. */
const systemSubnets: InterfaceSubnets = (name) =>
  (networkInterfaces()[name] ?? [])
    .filter((a) => a.family === 'IPv4' && a.cidr)
    .map((a) => ({ address: a.address, prefixLength: Number(a.cidr!.split('/')[1]) }));

/**
 * The leases that are the guest network's. dnsmasq writes one lease file for
 * every interface it serves (OpenWrt's /tmp/dhcp.leases holds the owner's LAN
 * too): a lease is a guest's only when its IPv4 address lies in a subnet of the
 * guest interface, so the owner's own devices are never listed, bound or charged.
 */
export function guestLeases(leases: readonly Sighting[], subnets: ReturnType<InterfaceSubnets>): Sighting[] {
  const nets = subnets.flatMap((n) => {
    const a = ipv4Number(n.address);
    const mask = ipv4Mask(n.prefixLength);
    return a === null ? [] : [{ net: (a & mask) >>> 0, mask }];
  });
  return leases.filter((l) => {
    const a = l.family === 4 && l.ip !== undefined ? ipv4Number(l.ip) : null;
    return a !== null && nets.some((n) => (a & n.mask) >>> 0 === n.net);
  });
}

/** Finds who is on the guest network now: dnsmasq's leases of the guest subnets and the guest interface's neighbour table. */
export class GuestDiscovery {
  /** nativeReader: the native reader (agent/native), whose resident process dumps the neighbours; else `ip -j neigh` each time. */
  constructor(
    private readonly runner: CommandRunner,
    private readonly guestInterface: string,
    private readonly leasesFile: string,
    private readonly nativeReader: string | null = null,
    private readonly subnets: InterfaceSubnets = systemSubnets,
  ) {}

  async #neighbours(ownMac: string | null): Promise<Sighting[]> {
    if (this.nativeReader) {
      try {
        return parseNativeNeighbours(await this.runner.run([this.nativeReader, '--table', 'qlink', '--neigh', this.guestInterface]), ownMac);
      } catch {
        /* a reader of another version, or none: ask ip */
      }
    }
    return parseNeighbours(await this.runner.run(['ip', '-j', 'neigh', 'show', 'dev', this.guestInterface]).catch(() => '[]'), ownMac);
  }

  async sightings(now: number): Promise<Sighting[]> {
    const ownMac = await readFile(`/sys/class/net/${this.guestInterface}/address`, 'utf8').then(
      (m) => m.trim().toLowerCase(),
      () => null,
    );
    const [leases, neigh] = await Promise.all([readFile(this.leasesFile, 'utf8').catch(() => ''), this.#neighbours(ownMac)]);
    return [...guestLeases(parseLeases(leases, Math.floor(now / 1000)), this.subnets(this.guestInterface)), ...neigh];
  }

  /**
   * Calls `changed` soon after dnsmasq rewrites its lease file, so a new
   * guest's binding is in the gate within milliseconds of its DHCP ACK rather
   * than at the next poll. Watches the directory: dnsmasq may replace the file.
   */
  watchLeases(changed: () => void): FSWatcher | null {
    let timer: NodeJS.Timeout | null = null;
    try {
      const w = watch(dirname(this.leasesFile), (_event, name) => {
        if (name !== null && name !== basename(this.leasesFile)) return;
        if (timer) return;
        timer = setTimeout(() => {
          timer = null;
          changed();
        }, 5);
      });
      w.unref();
      return w;
    } catch {
      return null; // no such directory yet: the poll still reads the file
    }
  }

  /** Ports of the guest bridge (none when the guest interface is not a bridge). */
  async bridgePorts(): Promise<string[]> {
    return readdir(`/sys/class/net/${this.guestInterface}/brif`).catch(() => []);
  }
}
