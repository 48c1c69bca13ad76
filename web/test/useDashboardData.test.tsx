import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../src/api';
import { useBotWebSocket } from '../src/useBotWebSocket';
import { useDashboardData, type DashboardData } from '../src/useDashboardData';
import { FakeWebSocket, holdFetches, jsonResponse, mount, type Deferred } from './harness';

let pending: Map<string, Deferred<Response>>;
let cleanup: (() => Promise<void>) | null = null;

beforeEach(() => {
  FakeWebSocket.instances = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
  // Every REST call waits until the test answers it.
  pending = holdFetches();
});
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.unstubAllGlobals();
});

const answer = async (path: string, body: unknown) => {
  const d = pending.get(path);
  if (!d) throw new Error(`no pending request for ${path}: ${[...pending.keys()].join(', ')}`);
  await act(async () => {
    d.resolve(jsonResponse(body));
    await new Promise((r) => setTimeout(r, 0));
  });
};

function Probe({ out }: { out: { current: DashboardData | null } }) {
  out.current = useDashboardData(true);
  return null;
}

const pos = (symbol: string, profit: number) => ({ ticket: symbol, symbol, type: 'BUY', direction: 'LONG', volume: 1, entry_price: 1, price_current: 1, sl_price: null, tp_price: null, profit });

describe('useDashboardData reconcile', () => {
  it('a REST poll sent before a WebSocket update does not overwrite it', async () => {
    const out = { current: null as DashboardData | null };
    const m = await mount(<Probe out={out} />);
    cleanup = m.unmount;
    const ws = FakeWebSocket.instances[0]!;
    await act(async () => ws.open());
    expect(out.current?.status).toBe('open');
    expect(pending.has('/api/positions?account=dashboard')).toBe(true); // the first poll is in flight

    await act(async () => ws.emit({ type: 'POSITION_UPDATE', timestamp: new Date().toISOString(), data: { positions: [pos('WS/NEW', 2)] } }));
    expect(out.current?.positions.map((p) => p.symbol)).toEqual(['WS/NEW']);

    await answer('/api/positions?account=dashboard', [pos('REST/OLD', 1)]);
    expect(out.current?.positions.map((p) => p.symbol)).toEqual(['WS/NEW']);

    // A slice the stream did not touch takes the poll's answer.
    await answer('/api/account', { balance: 1000, equity: 1001, profit: 1, currency: 'USD', leverage: 1, day_pl: 0 });
    expect(out.current?.account?.equity).toBe(1001);
  });

  it('applies the poll when no newer WebSocket data arrived, and SCAN_RESULT wins over an older scanner poll', async () => {
    const out = { current: null as DashboardData | null };
    const m = await mount(<Probe out={out} />);
    cleanup = m.unmount;
    const ws = FakeWebSocket.instances[0]!;
    await act(async () => ws.open());
    await answer('/api/positions?account=dashboard', [pos('REST/ONLY', 1)]);
    expect(out.current?.positions.map((p) => p.symbol)).toEqual(['REST/ONLY']);

    const candidate = { symbol: 'BTC/USDT', score: 0.8, rank: 1, filters: { volume: true }, metrics: {}, levels: [] };
    await act(async () => ws.emit({ type: 'SCAN_RESULT', timestamp: 't', data: { timestamp: 't', candidates: [candidate], totalScanned: 3, passedFilters: 1 } }));
    await answer('/api/scanner/last', { timestamp: 'old', candidates: [], totalScanned: 0, passedFilters: 0 });
    expect(out.current?.scanner?.candidates.map((c) => c.symbol)).toEqual(['BTC/USDT']);
  });
});

describe('useBotWebSocket', () => {
  function Listener({ seen }: { seen: StreamEvent[] }) {
    useBotWebSocket((m) => seen.push(m));
    return null;
  }

  it('hands known types to the caller and ignores unknown types and bad JSON', async () => {
    const seen: StreamEvent[] = [];
    const m = await mount(<Listener seen={seen} />);
    cleanup = m.unmount;
    const ws = FakeWebSocket.instances[0]!;
    expect(ws.url).toMatch(/^ws:\/\/.*\/ws$/);
    await act(async () => {
      ws.open();
      ws.emit({ type: 'SOMETHING_NEW', timestamp: 't' });
      ws.emit('not json');
      ws.emit({ notype: true });
      ws.emit({ type: 'ACCOUNT_UPDATE', timestamp: 't', data: { account: {} } });
      ws.emit({ type: 'SCAN_RESULT', timestamp: 't', data: { candidates: [] } });
    });
    expect(seen.map((s) => s.type)).toEqual(['ACCOUNT_UPDATE', 'SCAN_RESULT']);
  });

  it('closes its socket on unmount', async () => {
    const m = await mount(<Listener seen={[]} />);
    const ws = FakeWebSocket.instances[0]!;
    await m.unmount();
    expect(ws.closed).toBe(true);
  });
});
