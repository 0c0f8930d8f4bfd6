import pino, { type DestinationStream, type Logger } from 'pino';
import type { Settings } from '../config/settings.ts';

export type { Logger };

/**
 * Structured JSON logs; secrets that could reach a log line by accident are redacted. The server logs
 * to stdout; the command passes stderr so that its own output (`--json`) stays parseable.
 */
export function createLogger(settings: Pick<Settings, 'logLevel'>, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: settings.logLevel,
    // pid tells the processes of `serve --workers` apart.
    base: { service: 'gatehouse', pid: process.pid },
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
  };
  return destination ? pino(options, destination) : pino(options);
}
