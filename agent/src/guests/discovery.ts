import { readdir, readFile } from 'node:fs/promises';
import type { CommandRunner } from '../kernel/run.js';
import type { Sighting } from '../store/guests.js';
import { parseLeases } from './leases.js';
import { parseNeighbours } from './neighbours.js';

/** Finds who is on the guest network now: dnsmasq's leases and the kernel's neighbour table. */
export class GuestDiscovery {
  constructor(
    private readonly runner: CommandRunner,
    private readonly guestInterface: string,
    private readonly leasesFile: string,
  ) {}

  async sightings(now: number): Promise<Sighting[]> {
    const [leases, neigh, ownMac] = await Promise.all([
      readFile(this.leasesFile, 'utf8').catch(() => ''),
      this.runner.run(['ip', '-j', 'neigh', 'show', 'dev', this.guestInterface]).catch(() => '[]'),
      readFile(`/sys/class/net/${this.guestInterface}/address`, 'utf8').then((m) => m.trim().toLowerCase(), () => null),
    ]);
    return [...parseLeases(leases, Math.floor(now / 1000)), ...parseNeighbours(neigh, ownMac)];
  }

  /** Ports of the guest bridge (none when the guest interface is not a bridge). */
  async bridgePorts(): Promise<string[]> {
    return readdir(`/sys/class/net/${this.guestInterface}/brif`).catch(() => []);
  }
}
