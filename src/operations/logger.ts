import pino, { type Logger } from 'pino';
import type { Settings } from '../config/settings.ts';

export type { Logger };

/** Structured JSON logs; secrets that could reach a log line by accident are redacted. */
export function createLogger(settings: Pick<Settings, 'logLevel'>): Logger {
  return pino({
    level: settings.logLevel,
    base: { service: 'gatehouse' },
    redact: {
      paths: [
        'password',
        '*.password',
        'client_secret',
        '*.client_secret',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
}
