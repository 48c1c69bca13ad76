import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
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
  /** The log file is rotated past this size: tradewind.log.1 ... .N, the oldest dropped (0 = never). */
  maxFileBytes?: number;
  /** Rotated files kept (N). */
  keepFiles?: number;
  /** How often the size is checked (tests shorten it). */
  rotateCheckMs?: number;
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
/**
 * Lines are gathered up to this many bytes per write (one syscall for many request lines under
 * load instead of one each), and written at the latest LOG_FLUSH_MS after they were logged.
 */
export const LOG_WRITE_BYTES = 4096;
export const LOG_FLUSH_MS = 200;

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level as pino.Level;
  // Asynchronous writes (sonic-boom; flushed at exit): process.stdout writes to a pipe are
  // synchronous on Linux and would stall every request behind a slow reader of the logs.
  const buffered = { sync: false, minLength: LOG_WRITE_BYTES, maxLength: MAX_PENDING_LOG_BYTES } as const;
  const destinations: ReturnType<typeof pino.destination>[] = [];
  let stdout = options.stdout;
  if (!stdout) {
    const console = pino.destination({ dest: 1, ...buffered });
    destinations.push(console);
    stdout = console;
  }
  const streams: pino.StreamEntry[] = [{ level, stream: stdout }];
  if (options.toFile && options.level !== 'silent') {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const file = pino.destination({ dest: join(dir, 'tradewind.log'), mkdir: true, ...buffered });
    muteOnWriteError(file, join(dir, 'tradewind.log'), stdout);
    if (options.maxFileBytes) rotateBySize(file, join(dir, 'tradewind.log'), options.maxFileBytes, options.keepFiles ?? 5, options.rotateCheckMs ?? ROTATE_CHECK_MS);
    destinations.push(file);
    streams.push({ level, stream: file });
  }
  if (destinations.length > 0) {
    // What is gathered below LOG_WRITE_BYTES goes out within LOG_FLUSH_MS (and at exit: pino
    // flushes its destinations synchronously then).
    const timer = setInterval(() => {
      for (const d of destinations) {
        try {
          d.flush();
        } catch {
          // destroyed (closed at exit): nothing left to write
        }
      }
    }, LOG_FLUSH_MS);
    timer.unref();
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

/**
 * A log file that cannot be written (disk full, read-only) stops being written, with one line
 * on the console saying so, as pino does itself for a broken pipe. Without this, sonic-boom's
 * 'error' is an uncaught exception, and at exit its synchronous flush retries the failing write
 * forever: a full disk would hang the server instead of letting it keep trading and answering.
 */
function muteOnWriteError(file: ReturnType<typeof pino.destination>, path: string, console: pino.DestinationStream): void {
  let muted = false;
  file.on('error', (err: NodeJS.ErrnoException) => {
    if (muted) return;
    muted = true;
    const noop = () => {};
    Object.assign(file, { write: () => true, flush: noop, flushSync: noop, end: noop });
    console.write(`${JSON.stringify({ level: 50, time: Date.now(), service: 'tradewind', component: 'logger', msg: `log file ${path} can no longer be written (${err.code ?? err.message}); logging to the console only until a restart` })}\n`);
  });
}

/** How often the log file's size is checked for rotation. */
const ROTATE_CHECK_MS = 5_000;

/**
 * Size-based retention of the log file: past `maxBytes` it becomes tradewind.log.1 (older ones
 * shift up to .keep, the oldest is deleted) and the writer reopens a fresh file (sonic-boom's
 * reopen(), the hook pino documents for rotation). Hand-written: the rotation libraries for pino
 * run the file writer in a worker thread, which this logger deliberately avoids.
 */
function rotateBySize(file: ReturnType<typeof pino.destination>, path: string, maxBytes: number, keep: number, everyMs: number): void {
  const timer = setInterval(() => {
    try {
      if (!existsSync(path) || statSync(path).size < maxBytes) return;
      rmSync(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      renameSync(path, `${path}.1`);
      file.reopen();
    } catch {
      // A failed rotation (disk full, read-only) leaves the file as it is; muteOnWriteError handles writes.
    }
  }, everyMs);
  timer.unref();
}
