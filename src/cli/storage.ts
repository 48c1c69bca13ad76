import { join } from 'node:path';
import { SqliteMarketStore } from '../adapters/store-sqlite/market-store.js';
import { SqliteStore } from '../adapters/store-sqlite/sqlite-store.js';
import type { MarketDataStore } from '../core/market-data.js';
import type { JournalStore } from '../core/ports.js';
import { ConfigError, redactUrl } from './config.js';
import type { TradewindConfig } from './config-schema.js';

export interface Storage {
  journal: JournalStore;
  market: MarketDataStore;
  /** Where the data lives, for logs (no password). */
  describe: string;
}

type StorageConfig = Pick<TradewindConfig, 'storage' | 'database'>;

function pgTarget(config: StorageConfig): { url: string; schema: string } {
  if (!config.database.url) throw new ConfigError('database.url: storage is postgres but no connection URL is set (DATABASE_URL)');
  return { url: config.database.url, schema: config.database.schema };
}

/** The PostgreSQL adapters, loaded only with `storage: postgres` (a SQLite start loads no pg module). */
const postgres = () => import('./storage-postgres.js');

/**
 * The one place that picks the storage engine: SQLite files in the data directory (the
 * default: the journal in tradewind.db, market data in market.db so a long import never holds
 * the journal's write lock), or PostgreSQL (`storage: postgres`, DATABASE_URL).
 */
export async function openStorage(config: StorageConfig, dataDir: string): Promise<Storage> {
  if (config.storage === 'postgres') {
    const target = pgTarget(config);
    const { openPgJournal, openPgMarketStore } = await postgres();
    const journal = openPgJournal(target);
    try {
      const market = await openPgMarketStore(target);
      return { journal, market, describe: `postgres ${redactUrl(target.url)} schema ${target.schema}` };
    } catch (error) {
      journal.close();
      throw error;
    }
  }
  const journal = new SqliteStore({ file: join(dataDir, 'tradewind.db') });
  return { journal, market: new SqliteMarketStore({ file: join(dataDir, 'market.db') }), describe: `sqlite ${dataDir}` };
}

/** The market data store alone (`tradewind ingest`). */
export async function openMarketStore(config: StorageConfig, dataDir: string): Promise<{ store: MarketDataStore; describe: string }> {
  if (config.storage === 'postgres') {
    const target = pgTarget(config);
    const { openPgMarketStore } = await postgres();
    return { store: await openPgMarketStore(target), describe: `postgres ${redactUrl(target.url)} schema ${target.schema}` };
  }
  const file = join(dataDir, 'market.db');
  return { store: new SqliteMarketStore({ file }), describe: file };
}

/** The journal alone (`tradewind migrate`). */
export async function openJournal(config: StorageConfig, dataDir: string): Promise<{ store: JournalStore; describe: string }> {
  if (config.storage === 'postgres') {
    const target = pgTarget(config);
    const { openPgJournal } = await postgres();
    return { store: openPgJournal(target), describe: `postgres ${redactUrl(target.url)} schema ${target.schema}` };
  }
  const file = join(dataDir, 'tradewind.db');
  return { store: new SqliteStore({ file }), describe: file };
}
