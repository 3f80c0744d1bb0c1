import t from 'tap';
import { iptBackend } from './suites/backends.js';
import { meteringSuite } from './suites/metering-suite.js';

t.test('metering from kernel counters (iptables-legacy)', (t) => meteringSuite(t, 'meter_iptl', iptBackend('legacy')));
