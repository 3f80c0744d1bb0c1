import t from 'tap';
import { iptBackend } from './suites/backends.js';
import { meteringSuite } from './suites/metering-suite.js';

t.test('metering from kernel counters (iptables-nft)', (t) => meteringSuite(t, 'meter_iptn', iptBackend('nft')));
