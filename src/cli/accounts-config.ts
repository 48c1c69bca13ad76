import Value from 'typebox/value';
import { ACCOUNT_SCHEMAS, type AccountEntryConfig, type CcxtAccountConfig, type TradewindConfig } from './config-schema.js';

/** Defaults of a ccxt account entry (what the file may leave out). */
export const CCXT_ACCOUNT_DEFAULTS = {
  marketType: 'swap',
  environment: 'testnet',
  currency: 'USDT',
  startingBalance: 10_000,
  instruments: {},
  unknownOrders: 'report',
  reconcileSeconds: 30,
  balanceTolerance: 1,
  timeoutMs: 10_000,
  recvWindowMs: 5_000,
  maxAttempts: 5,
  backoffMs: 250,
  rateLimitWindowMs: 60_000,
  userStream: true,
  urls: {},
} as const;

/** Keys that would hold a secret: refused in the file (credentials come from environment variables). */
const SECRET_KEYS = ['apiKey', 'secret', 'password', 'apiSecret', 'privateKey', 'token', 'uid'];

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Before validation: fills each ccxt account's defaults, refuses credentials written into the
 * file (naming the variable to use instead, never echoing the value), and maps a `bridge` entry
 * onto the `bridge` block. Returns problems as messages (the loader reports them with the rest).
 */
export function normalizeAccounts(config: Raw): string[] {
  const problems: string[] = [];
  const accounts = config.accounts;
  if (!Array.isArray(accounts)) return problems;
  accounts.forEach((entry: unknown, i) => {
    if (!isObject(entry)) return;
    if (entry.kind === 'ccxt') {
      for (const key of SECRET_KEYS) {
        if (key in entry) {
          problems.push(`accounts[${i}].${key}: credentials are never read from the configuration file; put them in an environment variable and name it in apiKeyEnv / secretEnv / passwordEnv`);
          delete entry[key];
        }
      }
      for (const [k, v] of Object.entries(CCXT_ACCOUNT_DEFAULTS)) if (!(k in entry)) entry[k] = typeof v === 'object' ? { ...v } : v;
    }
    const schema = ACCOUNT_SCHEMAS[entry.kind as keyof typeof ACCOUNT_SCHEMAS] as (typeof ACCOUNT_SCHEMAS)[keyof typeof ACCOUNT_SCHEMAS] | undefined;
    if (!schema) {
      problems.push(`accounts[${i}].kind: must be one of paper, bridge, ccxt`);
      return;
    }
    for (const e of Value.Errors(schema, entry)) {
      const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
      const key = [...e.instancePath.split('/').filter(Boolean), ...(extra ? [extra[0]] : [])].join('.');
      problems.push(`accounts[${i}].${key || '(entry)'}: ${extra ? 'unknown key' : e.message}`);
    }
    if (entry.kind === 'bridge' && typeof entry.id === 'string' && isObject(config.bridge)) {
      config.bridge.enabled = true;
      config.bridge.accountId = entry.id;
    }
  });
  return problems;
}

/** Checks across entries, after validation: unique ids, none the primary paper account's. */
export function accountProblems(config: TradewindConfig): string[] {
  const problems: string[] = [];
  const seen = new Set<string>([config.account.id]);
  if (config.bridge.enabled) seen.add(config.bridge.accountId);
  if (config.renkoDesk.enabled && config.renkoDesk.broker === 'paper') seen.add(config.renkoDesk.accountId);
  for (const [i, a] of config.accounts.entries()) {
    if (a.kind === 'bridge') continue;
    if (seen.has(a.id)) problems.push(`accounts[${i}].id: '${a.id}' is already used by another account`);
    seen.add(a.id);
  }
  return problems;
}

export interface Credentials {
  apiKey: string;
  secret: string;
  password?: string;
}

/** The account's credentials from the environment; null (with the missing names) when incomplete. */
export function credentialsOf(a: CcxtAccountConfig, env: Record<string, string | undefined>): { ok: true; credentials: Credentials } | { ok: false; missing: string[] } {
  const names = [a.apiKeyEnv, a.secretEnv, ...(a.passwordEnv ? [a.passwordEnv] : [])];
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) return { ok: false, missing };
  return { ok: true, credentials: { apiKey: env[a.apiKeyEnv] as string, secret: env[a.secretEnv] as string, ...(a.passwordEnv ? { password: env[a.passwordEnv] as string } : {}) } };
}

export const isCcxt = (a: AccountEntryConfig): a is CcxtAccountConfig => a.kind === 'ccxt';
