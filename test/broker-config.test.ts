import t from 'tap';
import { readFileSync } from 'node:fs';
import { mosquittoAcl, mosquittoTlsConf } from '../gateway/src/broker/mosquitto.js';

// The production template in docs/broker/ is what the code writes for the demo and the tests, to the letter.
t.test('docs/broker/ is what gateway/src/broker/mosquitto.ts writes', async (t) => {
  t.equal(readFileSync('docs/broker/acl', 'utf8'), mosquittoAcl(['qlink-gateway-1', 'qlink-gateway-2']));
  t.equal(
    readFileSync('docs/broker/mosquitto.conf', 'utf8'),
    mosquittoTlsConf({
      host: '0.0.0.0',
      port: 8883,
      caFile: '/etc/mosquitto/qlink/ca.crt',
      certFile: '/etc/mosquitto/qlink/broker.crt',
      keyFile: '/etc/mosquitto/qlink/broker.key',
      aclFile: '/etc/mosquitto/qlink/acl',
    }),
  );
  const conf = mosquittoTlsConf({ host: 'h', port: 1, caFile: 'c', certFile: 'f', keyFile: 'k', aclFile: 'a' });
  for (const line of ['allow_anonymous false', 'require_certificate true', 'use_identity_as_username true', 'use_username_as_clientid true']) {
    t.match(conf, new RegExp(`^${line}$`, 'm'), line);
  }
  t.notMatch(conf, /^listener \d+ \S+$(?![\s\S]*^cafile)/m, 'the one listener has TLS');
});
