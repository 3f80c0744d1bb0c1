/** One guest's queue on each side: its class minor and its rates (null: unshaped that way). */
export interface ShapedClass {
  minor: number;
  downBps: number | null;
  upBps: number | null;
}

export interface ShaperInfo {
  leafQdisc: string;
  lanInterface: string;
  wanInterface: string | null;
}

/**
 * Per-guest queues. Packets reach a class by their priority, which the gate
 * sets from the connection's session (no tc filters), so the shaper only
 * keeps classes in step with the sessions. Shared tests: test/shaper.test.ts.
 */
export interface Shaper {
  readonly info: ShaperInfo;
  /** Sets up the root queues if missing and makes the classes exactly `classes`, adopting the ones that match. Undo: remove(). */
  ensure(classes: readonly ShapedClass[]): Promise<void>;
  /** Adds or changes one guest's classes live. Undo: drop(). */
  set(c: ShapedClass): Promise<void>;
  /** Removes one guest's classes. */
  drop(minor: number): Promise<void>;
  /** Removes the agent's root queues and every class. */
  remove(): Promise<void>;
}

/** The handle the shaper's HTB roots use: classes are 1:<minor>, priority 0x0001<minor>. */
export const ROOT_MAJOR = 1;
/** Minors 1..15 are the agent's own (1: all guests, 2: everything else). */
export const FIRST_GUEST_MINOR = 0x10;
export const MAX_MINOR = 0xffff;

export const classId = (minor: number): string => `${ROOT_MAJOR}:${minor.toString(16)}`;
