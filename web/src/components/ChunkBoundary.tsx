import { lazy, useMemo, useState, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';
import { ErrorBoundary } from 'react-error-boundary';

/**
 * A lazily loaded part of the page (a chart chunk) that can be asked for again: a failed import
 * (the server went away mid-download, a network blip) stays failed inside React.lazy, so a retry
 * needs a new lazy component. Returns it and the function that makes the next one.
 */
export function useRetryableLazy<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): [LazyExoticComponent<ComponentType<P>>, () => void] {
  const [attempt, setAttempt] = useState(0);
  // `load` is a module-level import function: only a new attempt makes a new component.
  const Component = useMemo(() => lazy(load), [attempt]);
  return [Component, () => setAttempt((a) => a + 1)];
}

/**
 * Keeps a part that failed to load (or to render) to its own panel: without it the error
 * unmounts the whole dashboard, so a server that stops while a chart chunk downloads left a
 * blank page instead of the "server unreachable" header. The panel offers a retry, and retries
 * by itself when `retryKey` changes (the server reachable again).
 */
export function ChunkBoundary({ what, retryKey, onRetry, children }: { what: string; retryKey: unknown; onRetry: () => void; children: ReactNode }) {
  return (
    <ErrorBoundary
      resetKeys={[retryKey]}
      onReset={onRetry}
      fallbackRender={({ error, resetErrorBoundary }) => (
        <section className="panel muted small" role="alert" data-testid="chunk-error">
          {what} could not be loaded ({error instanceof Error ? error.message : String(error)}).{' '}
          <button type="button" onClick={resetErrorBoundary} data-testid="chunk-retry">
            Retry
          </button>{' '}
          <button type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </section>
      )}
    >
      {children}
    </ErrorBoundary>
  );
}
