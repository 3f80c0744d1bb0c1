import t from 'tap';
import { nftBackend } from './suites/backends.js';
import { shapingSuite } from './suites/shaping-suite.js';

t.test('shaping each guest with HTB classes (nftables)', (t) => shapingSuite(t, 'shape', nftBackend));
