import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Guest-to-guest isolation on the bridge without nftables: the port's
 * `isolated` flag (Linux 4.18+). Isolated ports forward to the bridge itself
 * but not to each other, floods included. Chosen over ebtables because it
 * needs no extra kernel module (OpenWrt's kmod-ebtables is optional and absent
 * on many images), no tool (busybox-only images lack `bridge`), and a firewall
 * reload cannot flush it.
 */
export interface PortFlags {
  /** Null when the port is gone or not a bridge port. */
  isolated(port: string): boolean | null;
  setIsolated(port: string, on: boolean): void;
}

const IFNAME = /^(?!\.\.?$)[A-Za-z0-9_.@-]{1,15}$/;
const flagPath = (port: string) => {
  if (!IFNAME.test(port)) throw new Error(`not an interface name: ${JSON.stringify(port)}`);
  return `/sys/class/net/${port}/brport/isolated`;
};

export const sysfsPortFlags: PortFlags = {
  isolated(port) {
    try {
      return readFileSync(flagPath(port), 'utf8').trim() === '1';
    } catch {
      return null;
    }
  },
  setIsolated(port, on) {
    writeFileSync(flagPath(port), on ? '1' : '0');
  },
};

/** Keeps exactly the given ports isolated. Checked on every call: a port recreated by the Wi-Fi driver comes back without the flag. */
export class PortIsolation {
  #ports = new Set<string>();
  constructor(private readonly flags: PortFlags = sysfsPortFlags) {}

  apply(ports: readonly string[]): void {
    for (const p of this.#ports) if (!ports.includes(p) && this.flags.isolated(p)) this.flags.setIsolated(p, false);
    for (const p of ports) if (this.flags.isolated(p) === false) this.flags.setIsolated(p, true);
    this.#ports = new Set(ports);
  }

  /** Undo of apply(): the ports it isolated are open again. */
  clear(): void {
    this.apply([]);
  }
}
