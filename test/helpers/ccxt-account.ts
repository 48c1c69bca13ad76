// A server configuration with one ccxt account (binanceusdm) pointed at a fake Binance venue.
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';

const BTC = 'BTC/USDT';

export function ccxtAccountConfig(fake: { url: string; wsUrl: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    demoBot: { enabled: false },
    accounts: [
      {
        id: 'binance',
        kind: 'ccxt',
        exchange: 'binanceusdm',
        environment: 'testnet',
        apiKeyEnv: 'TW_TEST_BINANCE_KEY',
        secretEnv: 'TW_TEST_BINANCE_SECRET',
        startingBalance: 10_000,
        instruments: { [BTC]: { leverage: 5, marginType: 'isolated' } },
        urls: binanceusdmUrls(fake),
        reconcileSeconds: 2,
        recvWindowMs: 2000,
        timeoutMs: 1500,
        backoffMs: 50,
        maxAttempts: 4,
        ...extra,
      },
    ],
  };
}

export const creds = (key: string, secret: string) => ({ TW_TEST_BINANCE_KEY: key, TW_TEST_BINANCE_SECRET: secret, LOG_LEVEL: 'debug' });

