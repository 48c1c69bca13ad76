// The PostgreSQL stores (`storage: postgres`): loaded by storage.ts only when configured, so a
// default (SQLite) start never loads pg, pg-copy-streams or synckit.
import { PgMarketStore } from '../adapters/store-postgres/market-store.js';
import { PgStore } from '../adapters/store-postgres/pg-store.js';
import type { PgTarget } from '../adapters/store-postgres/connect.js';

export const openPgJournal = (target: PgTarget): PgStore => new PgStore(target);
export const openPgMarketStore = (target: PgTarget): Promise<PgMarketStore> => PgMarketStore.open(target);
