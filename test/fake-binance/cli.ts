// Runs the fake Binance USD-M venue on its own, for manual runs and for a server or bench in
// another process:
//
//   node dist/test/fake-binance/cli.js [--port 9100] [--data FILE] [--tick-ms 250]
//        [--api-key KEY --secret SECRET] [--balance 10000] [--no-rate-limits]
//
// It prints one JSON line {url, wsUrl, apiKey, secret} and serves until SIGINT/SIGTERM; drive it
// with the /__control/* HTTP API (docs/FAKE-EXCHANGE.md).
import { parseArgs } from 'node:util';
import { startFakeBinance } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    'tick-ms': { type: 'string', default: '0' },
    'api-key': { type: 'string' },
    secret: { type: 'string' },
    balance: { type: 'string', default: '10000' },
    'no-rate-limits': { type: 'boolean', default: false },
  },
});

const fake = await startFakeBinance({
  port: Number(values.port),
  host: values.host,
  dataFile: values.data,
  tickIntervalMs: Number(values['tick-ms']),
  rateLimits: !values['no-rate-limits'],
  accounts: [{ apiKey: values['api-key'], secret: values.secret, balance: Number(values.balance) }],
});
process.stdout.write(`${JSON.stringify({ url: fake.url, wsUrl: fake.wsUrl, apiKey: fake.apiKey, secret: fake.secret })}\n`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
