import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Settings } from '../config/settings.ts';

export type { Logger };

/**
 * Structured logs with ISO times; secrets that could reach a log line by accident are redacted.
 * JSON (one object a line) for log collectors, or coloured lines for people: `LOG_FORMAT`, and
 * without it pretty exactly when the output is a terminal. The server logs to stdout; the command
 * passes stderr so that its own output (`--json`) stays parseable.
 */
/** stdout, stderr, a file, or any writable (tests collect the log to search it). */
export type LogDestination = NodeJS.WritableStream & { isTTY?: boolean };

export function createLogger(
  settings: Pick<Settings, 'logLevel'> & Partial<Pick<Settings, 'logFormat'>>,
  destination?: LogDestination,
): Logger {
  const options: pino.LoggerOptions = {
    level: settings.logLevel,
    timestamp: pino.stdTimeFunctions.isoTime,
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
  const out = destination ?? process.stdout;
  const format = settings.logFormat ?? (out.isTTY ? 'pretty' : 'json');
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  return pino(options, prettyStream(out));
}

/** pino-pretty in this thread (no worker), so the last line is written before the process exits. */
function prettyStream(out: LogDestination): DestinationStream {
  return pretty({
    destination: out,
    colorize: Boolean(out.isTTY),
    sync: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    ignore: 'service,hostname',
    singleLine: false,
  });
}

/**
 * The causes under an error, outermost first ("fetch failed" → "connect ECONNREFUSED 10.0.0.7:443"),
 * which Node's fetch keeps in `cause` and a plain `String(err)` leaves out.
 */
export function causeOf(err: unknown): string | undefined {
  const causes: string[] = [];
  let current = (err as { cause?: unknown } | undefined)?.cause;
  while (current !== undefined && causes.length < 5) {
    const e = current as { message?: unknown; code?: unknown; cause?: unknown };
    const text = typeof e.message === 'string' && e.message ? e.message : String(current);
    causes.push(typeof e.code === 'string' && !text.includes(e.code) ? `${text} (${e.code})` : text);
    current = e.cause;
  }
  return causes.length ? causes.join(' ← ') : undefined;
}
