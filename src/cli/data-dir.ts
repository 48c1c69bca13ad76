import { accessSync, constants } from 'node:fs';
import { ConfigError } from './config.js';

/**
 * Refuses a data directory the server cannot write (a read-only filesystem, no permission) with
 * one clear line, before anything opens a database or a log file in it: otherwise the first
 * failure would come later, from deep inside SQLite or the log writer.
 */
export function assertWritableDataDir(dataDir: string): void {
  try {
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'it is on a read-only file system' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new ConfigError(`data directory ${dataDir} is not writable (${why}); point --data-dir or DATA_DIR at a writable directory`);
  }
}
