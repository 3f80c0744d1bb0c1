import { X509Certificate } from 'node:crypto';
import { publicKeyFromHex } from './p256.js';

/**
 * Whether `certPem` certifies `publicKeyHex` and is signed by the CA.
 * `marginMs`: the certificate must stay valid that long after `now`.
 * `skewMs`: how far ahead of `now` its validity may start (the issuer's clock
 * and second-granular notBefore may be ahead of ours).
 */
export function certifies(certPem: string, caPem: string, publicKeyHex: string, now = Date.now(), marginMs = 0, skewMs = 0): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return (
      cert.verify(ca.publicKey) &&
      cert.checkIssued(ca) &&
      cert.publicKey.export({ type: 'spki', format: 'der' }).equals(publicKeyFromHex(publicKeyHex).export({ type: 'spki', format: 'der' })) &&
      Date.parse(cert.validFrom) <= now + skewMs &&
      Date.parse(cert.validTo) > now + marginMs
    );
  } catch {
    return false;
  }
}
