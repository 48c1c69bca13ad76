import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { DEFAULT_LOG_CAPACITY, LogRing } from '../app/log-ring.js';

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiTokens',
  '*.apiTokens',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  level: string;
  dataDir: string;
  toFile: boolean;
  /** Also write every line (after redaction) into this ring, for GET /api/logs. */
  ring?: LogRing;
  /** Where the console copy goes; process.stdout unless a test redirects it. */
  stdout?: pino.DestinationStream;
}

/**
 * Unwritten log data a destination may hold while its reader (a pipe, a slow disk) lags; past it
 * lines are dropped rather than the event loop blocked or memory grown without bound.
 */
export const MAX_PENDING_LOG_BYTES = 32 * 1024 * 1024;

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level as pino.Level;
  // Asynchronous writes (sonic-boom; flushed at exit): process.stdout writes to a pipe are
  // synchronous on Linux and would stall every request behind a slow reader of the logs.
  const stdout = options.stdout ?? pino.destination({ dest: 1, sync: false, maxLength: MAX_PENDING_LOG_BYTES });
  const streams: pino.StreamEntry[] = [{ level, stream: stdout }];
  if (options.toFile && options.level !== 'silent') {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    streams.push({ level, stream: pino.destination({ dest: join(dir, 'tradewind.log'), sync: false, mkdir: true, maxLength: MAX_PENDING_LOG_BYTES }) });
  }
  if (options.ring) streams.push({ level, stream: options.ring });
  // Redaction happens before serialisation, so every stream (console, file, ring) gets the
  // censored line.
  return pino(
    { level: options.level, base: { service: 'tradewind' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.multistream(streams),
  );
}

/** A logger plus the in-memory ring of its last `ringCapacity` entries (default 2000). */
export function createLogging(options: Omit<LoggerOptions, 'ring'> & { ringCapacity?: number }): { logger: Logger; ring: LogRing } {
  const ring = new LogRing(options.ringCapacity ?? DEFAULT_LOG_CAPACITY);
  return { logger: createLogger({ ...options, ring }), ring };
}
