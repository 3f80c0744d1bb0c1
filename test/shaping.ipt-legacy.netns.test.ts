import t from 'tap';
import { iptBackend } from './suites/backends.js';
import { shapingSuite } from './suites/shaping-suite.js';

t.test('shaping each guest with HTB classes (iptables-legacy)', (t) => shapingSuite(t, 'shape_iptl', iptBackend('legacy')));
