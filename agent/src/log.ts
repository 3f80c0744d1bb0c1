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
