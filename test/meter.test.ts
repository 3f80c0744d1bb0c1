import t from 'tap';
import { advanceCursor } from '../agent/src/meter.js';

t.test('the same counter adds only its rise', async (t) => {
  t.same(advanceCursor({ handle: 5, seen: 100 }, { handle: 5, bytes: 250, packets: 3 }), { delta: 150, next: { handle: 5, seen: 250 } });
});

t.test('a new counter (new handle) counts from zero', async (t) => {
  t.equal(advanceCursor({ handle: 5, seen: 1000 }, { handle: 9, bytes: 40, packets: 1 }).delta, 40);
  t.equal(advanceCursor({ handle: null, seen: 0 }, { handle: 9, bytes: 40, packets: 1 }).delta, 40);
});

t.test('a counter that went backwards was reset: all of it is new', async (t) => {
  t.equal(advanceCursor({ handle: 5, seen: 1000 }, { handle: 5, bytes: 10, packets: 1 }).delta, 10);
});

t.test('no reading leaves the cursor alone', async (t) => {
  t.same(advanceCursor({ handle: 5, seen: 1000 }, undefined), { delta: 0, next: { handle: 5, seen: 1000 } });
});
