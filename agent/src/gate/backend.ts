/** A guest let through the gate: its session's id names its kernel counters and marks. */
export interface Grant {
  sessionId: number;
  mac: string;
  /** The session's queue: packets get priority 1:<classMinor>, which HTB takes as the class (no tc filters). */
  classMinor: number;
  /** The plan's zero-rated zone (gate/zero-rated.ts): its destinations go to the session's zero-rated counters. */
  zone?: number | null;
  /** False for a guest whose credit is out on a plan that keeps its zero-rated destinations: only those are let through. */
  charged?: boolean;
}

export interface CounterReading {
  /** Kernel handle of the counter object: a new handle means a new counter starting at zero. */
  handle: number;
  bytes: number;
  packets: number;
}

export interface SessionCounters {
  down?: CounterReading;
  up?: CounterReading;
  /** The zero-rated destinations' bytes, counted apart. */
  zeroDown?: CounterReading;
  zeroUp?: CounterReading;
}

/** What the gate enforces besides the grants; rendered from the agent's config. */
export interface GatePolicy {
  guestInterface: string;
  portalPort: number;
  walled4: string[];
  walled6: string[];
  blocked4: string[];
  blocked6: string[];
  /** The owner's own prefixes found on the router (its other LANs, its own addresses): blocked like blocked4/6. */
  own4?: string[];
  own6?: string[];
  /** Where held guests' DNS goes (the restricted resolver, gate/held-dns.ts); unset: the router's own resolver on 53. */
  heldDnsPort?: number;
  /** Where guests with a session send DNS when zero-rated host names must land in the gate's sets; unset: the router's resolver. */
  paidDnsPort?: number;
  /** The plans' zero-rated prefixes by zone (host names are the resolver's). */
  zeroZones?: Array<{ zone: number; v4: string[]; v6: string[] }>;
}

/** A (MAC, IPv4 address) pair the router's own DHCP server handed out: the only source a guest may send from. */
export interface Binding {
  mac: string;
  ip: string;
}

/** Packets dropped because their source was not the sender's own (cumulative kernel counters). */
export interface SpoofCounts {
  v4: number;
  v6: number;
  arp: number;
}

export interface EnsureResult {
  /** True when the gate was missing (first start, or flushed by someone) and was built anew. */
  created: boolean;
  granted: number;
  revoked: number;
}

/**
 * The kernel side of the gate. Two implementations (nftables, iptables) share
 * this interface and the test suite in test/suites/gate-suite.ts.
 */
export interface GateBackend {
  readonly kind: 'nftables' | 'iptables';
  /** Whether grants' zones and uncharged grants are enforced (nftables); elsewhere zero-rated traffic is charged like the rest. */
  readonly zeroRating: boolean;
  /**
   * Builds the gate, or adopts the one the kernel already has, so that exactly
   * `grants` are let through; counters of `grants` and `keepCounters` that
   * exist are kept, others are dropped. Idempotent. Undo: remove().
   */
  ensure(policy: GatePolicy, grants: readonly Grant[], keepCounters: readonly number[]): Promise<EnsureResult>;
  /** Removes every rule, set and counter the agent made. Undo: ensure(). */
  remove(): Promise<void>;
  /** Lets one guest through with fresh counters. Throws GateConflictError when the kernel disagrees. Undo: revoke(). */
  grant(grant: Grant): Promise<void>;
  /** Stops one guest at once, open connections included; its counters stay readable. Undo: grant(). */
  revoke(grant: Grant): Promise<void>;
  /** Deletes the counters of revoked sessions once their last bytes are metered. */
  dropCounters(sessionIds: readonly number[]): Promise<void>;
  /**
   * Every session's counters in one kernel call; null when the gate is gone
   * from the kernel. With `changes`, a backend may leave out counters that
   * have not moved since its previous reading (the caller must have applied
   * that one).
   */
  readCounters(opts?: { changes?: boolean }): Promise<Map<number, SessionCounters> | null>;
  /** False when the gate's rules are gone while the table stays (`nft flush table`); ensure() repairs it. */
  rulesIntact(): Promise<boolean>;
  /** Ports of the guest bridge, between which nothing may be forwarded. */
  setGuestPorts(ports: readonly string[]): Promise<void>;
  /**
   * Makes the IPv4 bindings exactly `bindings` (one transaction for the
   * change); ensure() keeps them. IPv6 bindings are learnt by the gate itself
   * where the backend can (first come, first served).
   */
  setBindings(bindings: readonly Binding[]): Promise<void>;
  /** The spoofing drop counters as of the last readCounters(); null when the backend has none. */
  spoofed(): SpoofCounts | null;
}

/** The kernel's state differs from what a fast-path change assumed; ensure() repairs it. */
export class GateConflictError extends Error {}
