import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

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

export function createLogger(options: { level: string; dataDir: string; toFile: boolean }): Logger {
  const streams: pino.StreamEntry[] = [{ level: options.level as pino.Level, stream: process.stdout }];
  if (options.toFile && options.level !== 'silent') {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: join(dir, 'tradewind.log'), sync: false, mkdir: true }) });
  }
  return pino(
    { level: options.level, base: { service: 'tradewind' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.multistream(streams),
  );
}
