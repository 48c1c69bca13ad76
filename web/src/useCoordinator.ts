// The ensemble coordinator's stream (seed 004): GET /api/ensemble/status says whether it runs and
// where its WebSocket is on this port; then `welcome` on connect and `status_update` every
// timing.status_interval seconds. Reconnects every 3 s while the page is shown.
import { useEffect, useState } from 'react';
import { api } from './api';
import { RECONNECT_MS, wsUrl } from './useBotWebSocket';

export interface CoordinatorModel {
  name: string;
  status: string;
  online: boolean;
  training: boolean;
  continuous_learning: boolean;
  data_collector_active: boolean;
  confidence: number | null;
  latency_ms: number | null;
  last_prediction: string | null;
  version: string | null;
  model_type?: string | null;
  samples_trained?: number | null;
  uptime_seconds?: number | null;
}

export interface StatusUpdate {
  type: 'status_update';
  timestamp: string;
  coordinator: {
    status: string;
    dry_run: boolean;
    testnet: boolean;
    symbol: string;
    uptime_seconds: number;
    websocket_clients: number;
    open_trades: number;
    circuit_breaker: 'active' | 'normal' | string;
    cpu_usage: number;
    memory_usage: number;
  };
  models: CoordinatorModel[];
  market: { price: number | null; rsi: number | null; volume_24h: number | null };
  decision: { action: string; confidence: number; risk_approved: boolean };
  performance: { total_pnl: number; daily_pnl: number; win_rate: number; total_trades: number };
}

export type CoordinatorState =
  | { phase: 'loading' }
  | { phase: 'disabled' }
  | { phase: 'error'; message: string }
  | { phase: 'connecting' | 'waiting' | 'open' | 'closed'; welcome: string | null; status: StatusUpdate | null; receivedAt: number | null };

export function useCoordinator(): CoordinatorState {
  const [path, setPath] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<{ phase: 'connecting' | 'waiting' | 'open' | 'closed'; welcome: string | null; status: StatusUpdate | null; receivedAt: number | null }>({
    phase: 'connecting',
    welcome: null,
    status: null,
    receivedAt: null,
  });

  useEffect(() => {
    let stopped = false;
    api<{ enabled: boolean; stream_path: string | null }>('/api/ensemble/status')
      .then((s) => !stopped && setPath(s.enabled ? s.stream_path : null))
      .catch((e: unknown) => !stopped && setError((e as Error).message));
    return () => {
      stopped = true;
    };
  }, []);

  useEffect(() => {
    if (!path) return undefined;
    let ws: WebSocket | null = null;
    let timer: number | undefined;
    let stopped = false;
    const connect = () => {
      setLive((l) => ({ ...l, phase: 'connecting' }));
      ws = new WebSocket(wsUrl(path));
      ws.onmessage = (e: MessageEvent<string>) => {
        let m: { type?: string; message?: string };
        try {
          m = JSON.parse(e.data) as { type?: string };
        } catch {
          return;
        }
        if (m.type === 'welcome') setLive((l) => ({ ...l, phase: l.status ? 'open' : 'waiting', welcome: String(m.message ?? '') }));
        else if (m.type === 'status_update') setLive((l) => ({ ...l, phase: 'open', status: m as StatusUpdate, receivedAt: Date.now() }));
      };
      ws.onclose = () => {
        setLive((l) => ({ ...l, phase: 'closed' }));
        if (!stopped) timer = window.setTimeout(connect, RECONNECT_MS);
      };
      ws.onerror = () => undefined;
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      ws?.close();
    };
  }, [path]);

  if (error) return { phase: 'error', message: error };
  if (path === undefined) return { phase: 'loading' };
  if (path === null) return { phase: 'disabled' };
  return live;
}
