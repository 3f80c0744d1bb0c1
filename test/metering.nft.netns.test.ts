import t from 'tap';
import { nftBackend } from './suites/backends.js';
import { meteringSuite } from './suites/metering-suite.js';

t.test('metering from kernel counters (nftables)', (t) => meteringSuite(t, 'meter', nftBackend));
