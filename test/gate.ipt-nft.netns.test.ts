import t from 'tap';
import { iptBackend } from './suites/backends.js';
import { gateSuite } from './suites/gate-suite.js';

t.test('the gate in a real router namespace (iptables-nft)', (t) => gateSuite(t, 'gate_iptn', iptBackend('nft')));
