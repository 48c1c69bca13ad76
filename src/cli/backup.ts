import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BackupError, backupDatabase, inspectDatabase, restoreDatabase, type DatabaseReport } from '../adapters/store-sqlite/backup.js';

interface Flags {
  market?: string;
  force?: boolean;
  json?: boolean;
  config?: string;
  dataDir?: string;
}

const JOURNAL = 'tradewind.db';
const MARKET = 'market.db';

const describe = (r: DatabaseReport): string => {
  const rows = Object.entries(r.tables)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return `${r.file}: ${r.kind}, schema version ${r.schemaVersion}, ${r.bytes} bytes, integrity ok${rows ? `; rows: ${rows}` : ''}\n`;
};

function print(reports: DatabaseReport[], json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify({ ok: true, databases: reports })}\n` : reports.map(describe).join(''));
}

/** Runs a command body; a BackupError is a refusal: its message on stderr, exit code 1. */
async function refusing(command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    process.stderr.write(`tradewind ${command}: ${error.message}\n`);
    process.exitCode = 1;
  }
}

function refuseExisting(file: string, force: boolean | undefined): void {
  if (existsSync(file) && !force) throw new BackupError(`${file} exists: pass --force to overwrite it`);
  if (!existsSync(dirname(file))) throw new BackupError(`directory ${dirname(file)} does not exist`);
}

/**
 * `tradewind backup FILE` and `tradewind restore FILE`: the SQLite databases of a data directory,
 * copied with the online backup API (safe while the server runs) and checked on both ends.
 */
export function registerBackupCommands(program: Command, dataDirOf: (opts: { config?: string; dataDir?: string }) => string): void {
  program
    .command('backup')
    .description('copy the trading journal (DATA_DIR/tradewind.db) to FILE while the server may be running; --market also copies market.db')
    .argument('<file>', 'the backup file to write')
    .option('--market <file>', 'also back up the market data store (DATA_DIR/market.db) to this file')
    .option('--force', 'overwrite existing backup files')
    .option('--json', 'print a JSON summary on stdout')
    .option('-c, --config <file>', 'YAML or JSON configuration file (env TRADEWIND_CONFIG)')
    .option('-d, --data-dir <dir>', 'data directory to back up (env DATA_DIR)')
    .action((file: string, flags: Flags) =>
      refusing('backup', async () => {
        const dataDir = resolve(dataDirOf(flags));
        const jobs: [string, string, 'journal' | 'market'][] = [[resolve(dataDir, JOURNAL), resolve(file), 'journal']];
        if (flags.market) jobs.push([resolve(dataDir, MARKET), resolve(flags.market), 'market']);
        for (const [, target] of jobs) refuseExisting(target, flags.force);
        const reports: DatabaseReport[] = [];
        for (const [source, target, kind] of jobs) reports.push(await backupDatabase(source, target, kind));
        print(reports, flags.json);
      }),
    );

  program
    .command('restore')
    .description('restore a backup made by `tradewind backup` into a data directory (the server must not be running on it)')
    .argument('<file>', 'the trading journal backup')
    .option('--market <file>', 'also restore a market data store backup')
    .option('--force', 'overwrite the databases of a data directory that is not empty')
    .option('--json', 'print a JSON summary on stdout')
    .option('-c, --config <file>', 'YAML or JSON configuration file (env TRADEWIND_CONFIG)')
    .option('-d, --data-dir <dir>', 'data directory to restore into (env DATA_DIR)')
    .action((file: string, flags: Flags) =>
      refusing('restore', async () => {
        const dataDir = resolve(dataDirOf(flags));
        if (existsSync(dataDir) && readdirSync(dataDir).length > 0 && !flags.force) {
          throw new BackupError(`data directory ${dataDir} is not empty: restore into a new directory, or pass --force (with the server stopped) to overwrite its databases`);
        }
        // Both backups checked before anything is created or overwritten.
        inspectDatabase(resolve(file), 'journal');
        if (flags.market) inspectDatabase(resolve(flags.market), 'market');
        mkdirSync(dataDir, { recursive: true });
        const reports = [await restoreDatabase(resolve(file), resolve(dataDir, JOURNAL), 'journal')];
        if (flags.market) reports.push(await restoreDatabase(resolve(flags.market), resolve(dataDir, MARKET), 'market'));
        print(reports, flags.json);
      }),
    );
}
