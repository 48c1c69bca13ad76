// Seed 000's useBotWebSocket: one connection to /ws, reconnecting every 3 s, that hands the
// known message types to the caller and ignores the others. `types` asks the server for those
// event types only (`?types=`), opt-in ones such as DESK_UPDATE included.
import { useEffect, useRef, useState } from 'react';
import type { StreamEvent } from './api';

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export const KNOWN_TYPES = new Set(['STATE_SNAPSHOT', 'ACCOUNT_UPDATE', 'POSITION_UPDATE', 'SCAN_SUMMARY', 'SCAN_RESULT', 'TRADE_EXECUTION', 'ENGINE_UPDATE', 'BAR', 'ALERT', 'DESK_UPDATE']);
export const RECONNECT_MS = 3000;

export function wsUrl(path = '/ws'): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`;
}

export function useBotWebSocket(onMessage: (message: StreamEvent) => void, enabled = true, types: string | null = null): { status: ConnectionStatus; lastMessageAt: number | null; reconnects: number } {
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [lastMessageAt, setLastMessageAt] = useState<number | null>(null);
  const [reconnects, setReconnects] = useState(0);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  useEffect(() => {
    if (!enabled) return undefined;
    let ws: WebSocket | null = null;
    let timer: number | undefined;
    let stopped = false;
    const connect = () => {
      setStatus('connecting');
      ws = new WebSocket(wsUrl(types ? `/ws?types=${encodeURIComponent(types)}` : '/ws'));
      ws.onopen = () => setStatus('open');
      ws.onmessage = (e: MessageEvent<string>) => {
        let message: StreamEvent;
        try {
          message = JSON.parse(e.data) as StreamEvent;
        } catch {
          return;
        }
        setLastMessageAt(Date.now());
        if (message && typeof message.type === 'string' && KNOWN_TYPES.has(message.type)) handler.current(message);
      };
      ws.onclose = () => {
        setStatus('closed');
        if (stopped) return;
        timer = window.setTimeout(() => {
          setReconnects((n) => n + 1);
          connect();
        }, RECONNECT_MS);
      };
      // onclose follows every error; the retry is scheduled there.
      ws.onerror = () => undefined;
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      ws?.close();
    };
  }, [enabled, types]);

  return { status, lastMessageAt, reconnects };
}
