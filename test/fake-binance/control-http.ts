// /__control/* : the control API over HTTP (JSON in, JSON out) for a fake in another process.
//
//   GET    /__control/state?apiKey=K        account snapshot (wallet, positions, orders)
//   GET    /__control/requests              request log          DELETE clears it
//   POST   /__control/step      {n}          advance the replay
//   POST   /__control/tick      {symbol, price, qty?}
//   POST   /__control/auto      {intervalMs} (0 stops)
//   POST   /__control/fault     {kind, phase?, status?, ms?, match?: {method?, path?, pathRegex?, apiKey?}, times?}
//   DELETE /__control/faults
//   POST   /__control/liquidity {symbol?, levelQty?, makerQtyPerTick?}
//   POST   /__control/ws/disconnect {kind?: market|user|all}
//   POST   /__control/ws/duplicate-fills {n?, apiKey?}
//   POST   /__control/restart   {downMs?}   (answers first, then restarts)
//   POST   /__control/clock     {offsetMs}
//   POST   /__control/accounts  {apiKey?, secret?, balance?}
//   POST   /__control/balance   {amount, apiKey?}
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeControl } from './control.js';
import type { FaultRule } from './faults.js';
import { readBody } from './rest.js';

type Json = Record<string, unknown>;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function faultRule(b: Json): FaultRule {
  const match = (b.match ?? {}) as Json;
  const times = typeof b.times === 'number' ? (b.times < 0 ? Infinity : b.times) : undefined;
  const path = typeof match.pathRegex === 'string' ? new RegExp(match.pathRegex) : (match.path as string | undefined);
  return { ...(b as FaultRule), match: { method: match.method as string | undefined, path, apiKey: match.apiKey as string | undefined }, times };
}

export function controlHandler(control: FakeControl) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    let b: Json = {};
    try {
      const text = await readBody(req);
      b = text ? (JSON.parse(text) as Json) : {};
    } catch {
      return reply(res, 400, { error: 'body must be JSON' });
    }
    const num = (k: string, d: number) => (typeof b[k] === 'number' ? (b[k] as number) : d);
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    try {
      const route = `${method} ${path}`;
      switch (route) {
        case 'GET /__control/state':
          return reply(res, 200, control.snapshot(url.searchParams.get('apiKey') ?? undefined));
        case 'GET /__control/requests':
          return reply(res, 200, control.requests());
        case 'DELETE /__control/requests':
          control.clearRequests();
          return reply(res, 200, {});
        case 'POST /__control/step':
          return reply(res, 200, { applied: control.step(num('n', 1)) });
        case 'POST /__control/tick':
          control.tick(str('symbol') ?? 'BTCUSDT', num('price', NaN), typeof b.qty === 'number' ? b.qty : undefined);
          return reply(res, 200, {});
        case 'POST /__control/auto':
          control.startAuto(num('intervalMs', 0));
          return reply(res, 200, {});
        case 'POST /__control/fault':
          return reply(res, 200, { id: control.fault(faultRule(b)) });
        case 'DELETE /__control/faults':
          control.clearFaults();
          return reply(res, 200, {});
        case 'POST /__control/liquidity':
          control.setLiquidity({ symbol: str('symbol'), levelQty: typeof b.levelQty === 'number' ? b.levelQty : undefined, makerQtyPerTick: typeof b.makerQtyPerTick === 'number' ? b.makerQtyPerTick : undefined });
          return reply(res, 200, {});
        case 'POST /__control/ws/disconnect':
          return reply(res, 200, { closed: control.disconnectWebSockets((str('kind') as 'market' | 'user' | 'all' | undefined) ?? 'all') });
        case 'POST /__control/ws/duplicate-fills':
          control.duplicateFills(num('n', 1), str('apiKey'));
          return reply(res, 200, {});
        case 'POST /__control/restart':
          reply(res, 200, {});
          res.once('finish', () => void control.restart(num('downMs', 0)));
          return;
        case 'POST /__control/clock':
          control.setClockOffset(num('offsetMs', 0));
          return reply(res, 200, {});
        case 'POST /__control/accounts':
          return reply(res, 200, control.addAccount({ apiKey: str('apiKey'), secret: str('secret'), balance: typeof b.balance === 'number' ? b.balance : undefined }));
        case 'POST /__control/balance':
          control.setBalance(num('amount', 0), str('apiKey'));
          return reply(res, 200, {});
        default:
          return reply(res, 404, { error: `no control route ${route}` });
      }
    } catch (e) {
      return reply(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  };
}
