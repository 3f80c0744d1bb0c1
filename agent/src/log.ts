import { createHmac, randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured logs to stdout (procd forwards them to the system log). */
export function createLogger(level = process.env.QLINK_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { svc: 'qlink-agent' },
    // Key material must never reach a log, whatever a caller passes in.
    redact: { paths: ['privateKey', '*.privateKey', 'wif', '*.wif', 'secret', '*.secret'], censor: '[redacted]' },
  });
}

const TAG_KEY = randomBytes(32);

/**
 * What a log line says of a guest: a tag made from the MAC with a key that
 * lives in this process alone, so the lines of one guest can be followed
 * while the agent runs, but no log, alone or with the chain, ties a device's
 * MAC to the channel (and so the wallet) it paid with (docs/privacy.md).
 */
export function guestTag(mac: string): string {
  return createHmac('sha256', TAG_KEY).update(mac.toLowerCase()).digest('hex').slice(0, 10);
}
