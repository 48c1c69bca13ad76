import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, redactConfig } from './config.js';
import type { TradewindConfig } from './config-schema.js';
import { packageVersion } from './version.js';
import { hashPassword } from '../app/operator-auth.js';
import type { PgMarketStore } from '../adapters/store-postgres/market-store.js';
import { openJournal, openMarketStore } from './storage.js';
import { registerAccountsCommand } from './accounts-command.js';

const toPort = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
};

interface CommonOptions {
  config?: string;
  port?: number;
  host?: string;
  dataDir?: string;
}

function configFrom(opts: CommonOptions) {
  const overrides = [];
  if (opts.port !== undefined) overrides.push({ path: ['server', 'port'], value: opts.port, source: 'flag --port' });
  if (opts.host !== undefined) overrides.push({ path: ['server', 'host'], value: opts.host, source: 'flag --host' });
  if (opts.dataDir !== undefined) overrides.push({ path: ['dataDir'], value: opts.dataDir, source: 'flag --data-dir' });
  return loadConfig({ file: opts.config ?? process.env.TRADEWIND_CONFIG, env: process.env, overrides });
}

const withCommon = (cmd: Command): Command =>
  cmd
    .option('-c, --config <file>', 'YAML or JSON configuration file (env TRADEWIND_CONFIG)')
    .option('-p, --port <port>', 'port to listen on; the next free one up to +9 is used if taken (env PORT)', toPort)
    .option('-H, --host <host>', 'address to bind (env HOST); loopback unless API tokens are set')
    .option('-d, --data-dir <dir>', 'directory for the SQLite database and logs (env DATA_DIR)');

/** `tradewind start` in cluster mode (docs/SCALE-OUT.md): a follower until it takes the leader lease. */
async function startClustered(config: TradewindConfig): Promise<void> {
  // Cluster mode's Redis lease and follower app are loaded only in cluster mode.
  const { startClusterMember } = await import('./cluster.js');
  const member = await startClusterMember(config, {
    onLeader: (server) => process.stdout.write(`Tradewind ${packageVersion()} leading on ${server.url}\n`),
    // Fail-stop: a leader that cannot prove its lease stops trading at once (the journal's fencing
    // refuses its writes anyway); a supervisor restarts it, as a follower.
    onLostLease: () => process.exit(75),
  });
  process.stdout.write(`Tradewind ${packageVersion()} listening on ${member.url} (cluster member ${member.instanceId}, follower until it takes the leader lease)\n`);
  const shutdown = (signal: string) => {
    member.logger.info({ component: 'cli', signal }, 'shutting down');
    member.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** The commands defined in this file: running one of them loads none of the other command modules. */
const OWN_COMMANDS = new Set(['start', 'config', 'accounts', 'migrate', 'hash-password']);

/** The other commands, each registered from its own module (loaded only when needed). */
const COMMAND_MODULES: Record<string, (program: Command) => Promise<void>> = {
  ingest: async (p) => (await import('./ingest.js')).registerIngestCommand(p, (opts) => configFrom(opts)),
  bridge: async (p) => (await import('./bridge.js')).registerBridgeCommand(p, (opts) => configFrom(opts).dataDir),
  backup: async (p) => (await import('./backup.js')).registerBackupCommands(p, (opts) => configFrom(opts).dataDir),
  backtest: async (p) => void p.addCommand((await import('./backtest.js')).backtestCommand((opts) => configFrom(opts).dataDir)),
  model: async (p) => void p.addCommand((await import('./model.js')).modelCommand()),
  'model-server': async (p) => void p.addCommand((await import('./model-server.js')).modelServerCommand()),
  worker: async (p) => void p.addCommand((await import('./worker.js')).workerCommand((opts) => configFrom(opts))),
  sweep: async (p) => void p.addCommand((await import('./sweep.js')).sweepCommand((opts) => configFrom(opts))),
};
COMMAND_MODULES.restore = COMMAND_MODULES.backup as (program: Command) => Promise<void>;

/**
 * The `tradewind` command. With `argv`, only the module of the command it names is loaded (none
 * for this file's own commands, `start` among them: a server start loads no ingest, backtest or
 * model-trainer code); without, or for help or an unknown command, every command is registered.
 */
export async function buildCli(argv?: string[]): Promise<Command> {
  const program = new Command('tradewind')
    .description('Tradewind: self-hosted algorithmic trading server (paper trading by default)')
    .version(packageVersion())
    .showHelpAfterError();

  withCommon(program.command('start').description('start the server: simulated market, paper broker, demo bot, REST + WebSocket API')).action(
    async (opts: CommonOptions) => {
      const config = configFrom(opts);
      if (config.cluster.enabled) return startClustered(config);
      const { startServer } = await import('./server.js');
      const server = await startServer(config);
      const market = config.feed.kind === 'sim' ? 'simulated market' : `live market data from ${config.feed.exchange}`;
      process.stdout.write(`Tradewind ${packageVersion()} listening on ${server.url} (paper account, ${market})\n`);
      process.stdout.write(`  REST ${server.url}/api/state   WebSocket ${server.url.replace('http', 'ws')}/ws\n`);
      const shutdown = (signal: string) => {
        server.logger.info({ component: 'cli', signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    },
  );

  withCommon(program.command('config').description('print the effective configuration (secrets redacted) and exit')).action((opts: CommonOptions) => {
    process.stdout.write(`${JSON.stringify(redactConfig(configFrom(opts)), null, 2)}\n`);
  });

  registerAccountsCommand(withCommon(program.command('accounts')), (opts) => configFrom(opts as CommonOptions));

  withCommon(program.command('migrate').description('create or migrate the journal database (SQLite, or PostgreSQL with storage: postgres) and exit')).action(async (opts: CommonOptions) => {
    const config = configFrom(opts);
    const { store, describe } = await openJournal(config, resolve(config.dataDir));
    process.stdout.write(`database ${describe} at schema version ${store.schemaVersion()}\n`);
    store.close();
    if (config.storage === 'postgres') {
      const market = await openMarketStore(config, resolve(config.dataDir));
      await (market.store as PgMarketStore).closeAsync();
    }
  });

  program
    .command('hash-password')
    .description('read a password from standard input and print its scrypt hash for auth.passwordHash')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (!password) throw new ConfigError('hash-password: no password on standard input');
      process.stdout.write(`${await hashPassword(password)}\n`);
    });

  const name = argv?.[2];
  if (name !== undefined && OWN_COMMANDS.has(name)) return program;
  const only = name !== undefined ? COMMAND_MODULES[name] : undefined;
  if (only) await only(program);
  else for (const register of new Set(Object.values(COMMAND_MODULES))) await register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await (await buildCli(argv)).parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tradewind: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
