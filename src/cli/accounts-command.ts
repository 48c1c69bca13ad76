import type { Command } from 'commander';
import { credentialsOf } from './accounts-config.js';
import type { TradewindConfig } from './config-schema.js';
import type { AccountStatus } from './venue-accounts.js';

/** Every configured account with its connection state (ccxt accounts are connected to, read-only). */
export async function listAccounts(config: TradewindConfig, env: Record<string, string | undefined>, connect: boolean): Promise<AccountStatus[]> {
  const out: AccountStatus[] = [{ id: config.account.id, kind: 'paper', state: 'ready', detail: 'primary paper account (simulated fills)' }];
  if (config.bridge.enabled) out.push({ id: config.bridge.accountId, kind: 'bridge', state: config.bridge.secret ? 'ready' : 'offline', detail: config.bridge.secret ? `seed 003 bridge (${config.bridge.env}); online once a bridge sends heartbeats` : 'no BRIDGE_HEARTBEAT_SECRET: bridge routes answer 403' });
  for (const a of config.accounts) {
    if (a.kind === 'paper') out.push({ id: a.id, kind: 'paper', state: 'ready', detail: 'paper account (simulated fills)' });
    if (a.kind !== 'ccxt') continue;
    const credentialEnv = [a.apiKeyEnv, a.secretEnv, ...(a.passwordEnv ? [a.passwordEnv] : [])];
    const base = { id: a.id, kind: 'ccxt' as const, exchange: a.exchange, environment: a.environment, credentialEnv };
    if (!connect) {
      const creds = credentialsOf(a, env);
      out.push({ ...base, state: creds.ok ? 'connecting' : 'no-credentials', detail: creds.ok ? 'not checked (--no-connect)' : `set ${creds.missing.join(', ')}` });
      continue;
    }
    // ccxt is loaded only when an exchange account is probed.
    const { probe } = await import('./accounts-probe.js');
    out.push({ ...base, ...(await probe(a, env)) });
  }
  return out;
}

export function registerAccountsCommand(cmd: Command, load: (opts: Record<string, unknown>) => TradewindConfig): void {
  cmd
    .description('list the configured accounts (paper, bridge, ccxt) with their connection state')
    .option('--json', 'print JSON')
    .option('--no-connect', 'do not connect to the exchanges (only check that credentials are set)')
    .action(async (opts: Record<string, unknown>) => {
      const list = await listAccounts(load(opts), process.env, opts.connect !== false);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ accounts: list }, null, 2)}\n`);
        return;
      }
      for (const a of list) {
        const venue = a.exchange ? ` ${a.exchange}/${a.environment}` : '';
        process.stdout.write(`${a.id.padEnd(16)} ${a.kind.padEnd(6)}${venue.padEnd(22)} ${a.state.padEnd(15)} ${a.detail}\n`);
      }
    });
}
