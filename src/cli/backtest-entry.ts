import { Command } from 'commander';
import { backtestCommand } from './backtest.js';

/**
 * `tradewind backtest` on its own (bin/tradewind.js routes it here): only the backtest modules
 * are loaded, not the server, exchange, model and schema libraries the other commands need,
 * which would be most of a short backtest's run time. The configuration (TypeBox-validated) is
 * loaded only when a file gives it (-c or TRADEWIND_CONFIG); otherwise DATA_DIR comes from
 * --data-dir, else the environment, else ./data, as the configuration resolves it.
 */
async function dataDirOf(opts: { config?: string; dataDir?: string }): Promise<string> {
  const file = opts.config ?? process.env.TRADEWIND_CONFIG;
  if (!file) return opts.dataDir ?? (process.env.DATA_DIR || './data');
  const { loadConfig } = await import('./config.js');
  const overrides = opts.dataDir !== undefined ? [{ path: ['dataDir'], value: opts.dataDir, source: 'flag --data-dir' }] : [];
  return loadConfig({ file, env: process.env, overrides }).dataDir;
}

export async function backtestMain(argv: string[]): Promise<void> {
  const program = new Command('tradewind').showHelpAfterError().addCommand(backtestCommand(dataDirOf));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') {
      process.stderr.write(`tradewind: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
