import t from 'tap';
import { nftBackend } from './suites/backends.js';
import { gateSuite } from './suites/gate-suite.js';

t.test('the gate in a real router namespace (nftables)', (t) => gateSuite(t, 'gate', nftBackend));
