/** A guest let through the gate: its session's id names its kernel counters and marks. */
export interface Grant {
  sessionId: number;
  mac: string;
  /** The session's queue: packets get priority 1:<classMinor>, which HTB takes as the class (no tc filters). */
  classMinor: number;
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
}

/** What the gate enforces besides the grants; rendered from the agent's config. */
export interface GatePolicy {
  guestInterface: string;
  portalPort: number;
  walled4: string[];
  walled6: string[];
  blocked4: string[];
  blocked6: string[];
}

export interface EnsureResult {
  /** True when the gate was missing (first start, or flushed by someone) and was built anew. */
  created: boolean;
  granted: number;
  revoked: number;
}

/**
 * The kernel side of the gate. Two implementations (nftables, iptables) share
 * this interface and the test suite in test/gate-backend.suite.ts.
 */
export interface GateBackend {
  readonly kind: 'nftables' | 'iptables';
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
  /** Every session's counters in one kernel call; null when the gate is gone from the kernel. */
  readCounters(): Promise<Map<number, SessionCounters> | null>;
  /** False when the gate's rules are gone while the table stays (`nft flush table`); ensure() repairs it. */
  rulesIntact(): Promise<boolean>;
  /** Ports of the guest bridge, between which nothing may be forwarded. */
  setGuestPorts(ports: readonly string[]): Promise<void>;
}

/** The kernel's state differs from what a fast-path change assumed; ensure() repairs it. */
export class GateConflictError extends Error {}
