import type { CounterReading } from './gate/backend.js';

export interface CounterCursor {
  handle: number | null;
  seen: number;
}

/**
 * Bytes a kernel counter gained since the cursor. A different handle is a new
 * counter (the gate was rebuilt) that started at zero, so all of it is new.
 */
export function advanceCursor(cursor: CounterCursor, reading: CounterReading | undefined): { delta: number; next: CounterCursor } {
  if (!reading) return { delta: 0, next: cursor };
  const fresh = cursor.handle !== reading.handle || reading.bytes < cursor.seen;
  const delta = fresh ? reading.bytes : reading.bytes - cursor.seen;
  return { delta, next: { handle: reading.handle, seen: reading.bytes } };
}
