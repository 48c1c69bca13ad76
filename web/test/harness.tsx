import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { vi } from 'vitest';

/** Mounts a React tree into a fresh container; unmount() cleans up. */
export async function mount(node: ReactNode): Promise<{ container: HTMLElement; root: Root; unmount: () => Promise<void> }> {
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(node));
  return {
    container,
    root,
    unmount: async () => {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}

/** A stand-in for the browser's WebSocket: tests push messages with emit(). */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  open(): void {
    this.onopen?.();
  }
  emit(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  close(): void {
    this.closed = true;
  }
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}
export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const jsonResponse = (body: unknown, status = 200) =>
  ({ status, ok: status >= 200 && status < 300, text: async () => JSON.stringify(body) }) as unknown as Response;

/** Stubs fetch so that every request waits until the test answers it: the pending ones by path (the latest per path). */
export function holdFetches(): Map<string, Deferred<Response>> {
  const pending = new Map<string, Deferred<Response>>();
  vi.stubGlobal(
    'fetch',
    vi.fn((path: string) => {
      const d = deferred<Response>();
      pending.set(path, d);
      return d.promise;
    }),
  );
  return pending;
}
