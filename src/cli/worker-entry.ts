import { Command } from 'commander';
import { ConfigError, loadConfig } from './config.js';
import { packageVersion } from './version.js';
import { workerCommand } from './worker.js';

/**
 * `tradewind worker` without the rest of the CLI (bin/tradewind.js comes here directly): a
 * worker loads the sweep runner and BullMQ only, so it starts in a fraction of the server's time
 * (more workers are started, and restarted, than servers).
 */
export async function workerMain(argv: string[]): Promise<void> {
  const program = new Command('tradewind').version(packageVersion());
  program.addCommand(
    workerCommand((opts) =>
      loadConfig({ file: opts.config ?? process.env.TRADEWIND_CONFIG, env: process.env, overrides: opts.dataDir !== undefined ? [{ path: ['dataDir'], value: opts.dataDir, source: 'flag --data-dir' }] : [] }),
    ),
  );
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tradewind: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
