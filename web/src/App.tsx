import { Suspense, useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, ApiError, fmtClock, UNAUTHORIZED_EVENT } from './api';
import { backoffMs, retryable } from './polling';
import { AccountCard } from './components/AccountCard';
import { AccountsPage } from './components/AccountsPage';
import { ChunkBoundary, useRetryableLazy } from './components/ChunkBoundary';
import { AccountSwitcher, DeskPositions, OrdersPanel, useLiveAccount } from './components/AccountSwitcher';
import { EnsemblePage } from './components/EnsemblePage';
import { DeskPage } from './components/DeskPage';
import { LogsPage, PresetsPage } from './components/LogsPage';
import { UploadPage } from './components/UploadPage';
import { EngineControls } from './components/EngineControls';
import { EventLog } from './components/EventLog';
import { Login } from './components/Login';
import { PositionsTable } from './components/PositionsTable';
import { ScannerGrid } from './components/ScannerGrid';
import { ScannerSummary } from './components/ScannerSummary';
import { TradeFeed } from './components/TradeFeed';
import { useDashboardData } from './useDashboardData';

// Pages with charts load with lightweight-charts, in their own chunks (not with the first page).
const loadTradeHistoryPage = () => import('./history/TradeHistoryPage').then((m) => ({ default: m.TradeHistoryPage }));
const loadProfitPage = () => import('./history/ProfitPage').then((m) => ({ default: m.ProfitPage }));
const loadBacktestPage = () => import('./components/BacktestPage').then((m) => ({ default: m.BacktestPage }));
const loadCharts = () => import('./components/CandleChart').then((m) => ({ default: m.Charts }));
const loadChartPage = () => import('./history/ChartPage').then((m) => ({ default: m.ChartPage }));

interface AuthStatus {
  authenticated: boolean;
  password_required: boolean;
}

const TABS = [
  ['live', 'Live'],
  ['chart', 'Chart'],
  ['history', 'Trade history'],
  ['profit', 'Profit'],
  ['backtest', 'Backtest'],
  ['upload', 'Upload'],
  ['presets', 'Presets'],
  ['logs', 'Logs & metrics'],
  ['desk', 'Operator desk'],
  ['accounts', 'Accounts'],
  ['ensemble', 'Ensemble'],
] as const;
type Tab = (typeof TABS)[number][0];
const tabFromHash = (): Tab => {
  const h = window.location.hash.replace(/^#\/?/, '');
  return (TABS.find(([t]) => t === h)?.[0] ?? 'live') as Tab;
};

const onHashChange = (notify: () => void) => {
  window.addEventListener('hashchange', notify);
  return () => window.removeEventListener('hashchange', notify);
};

/**
 * The tab is the URL's hash, read through useSyncExternalStore: a listener added in a passive
 * effect missed a tab clicked between the first paint and that effect (a slow machine), and the
 * tab then stayed unselectable, since setting the hash it already had fires no event again.
 */
function useTab(): [Tab, (t: Tab) => void] {
  const tab = useSyncExternalStore(onHashChange, tabFromHash);
  return [tab, (t: Tab) => (window.location.hash = t === 'live' ? '' : t)];
}

function Dashboard({ passwordRequired, onLogout }: { passwordRequired: boolean; onLogout: () => void }) {
  const [tab, setTab] = useTab();
  const live = tab === 'live';
  const [liveAccount, setLiveAccount] = useLiveAccount();
  const data = useDashboardData(true, live, liveAccount);
  const [BacktestPage, retryBacktest] = useRetryableLazy(loadBacktestPage);
  const [ChartPage, retryChartPage] = useRetryableLazy(loadChartPage);
  const [TradeHistoryPage, retryHistory] = useRetryableLazy(loadTradeHistoryPage);
  const [ProfitPage, retryProfit] = useRetryableLazy(loadProfitPage);
  const [Charts, retryCharts] = useRetryableLazy(loadCharts);
  const retryPages = () => {
    retryChartPage();
    retryHistory();
    retryProfit();
  };
  return (
    <div className="app">
      <header>
        <h1>Tradewind</h1>
        <span className={`conn c-${data.status}`} data-testid="connection">
          {data.status === 'open' ? 'live' : data.status === 'connecting' ? 'connecting…' : 'disconnected — retrying'}
        </span>
        <span className="muted small" data-testid="last-update">
          {data.lastUpdate ? `updated ${fmtClock(new Date(data.lastUpdate))}` : ''}
        </span>
        {data.offline && (
          <span className="error small" data-testid="offline">
            server unreachable — figures are stale, actions are off
          </span>
        )}
        {data.busy && (
          <span className="warn small" data-testid="busy">
            server busy — retrying{data.retryAt ? ` in ${Math.max(1, Math.round((data.retryAt - Date.now()) / 1000))} s` : ''}
          </span>
        )}
        {data.pollError && <span className="error small">REST: {data.pollError}</span>}
        <nav className="tabs" role="tablist" data-testid="tabs">
          {TABS.map(([t, name]) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} data-tab={t} onClick={() => setTab(t)}>
              {name}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        <a href="/api/docs" target="_blank" rel="noreferrer" className="small">
          API docs
        </a>
        {passwordRequired && (
          <button type="button" onClick={onLogout} data-testid="logout">
            Log out
          </button>
        )}
      </header>
      <ChunkBoundary what="The backtest page" retryKey={data.offline} onRetry={retryBacktest}>
        <Suspense fallback={<div className="muted center">loading…</div>}>{tab === 'backtest' && <BacktestPage />}</Suspense>
      </ChunkBoundary>
      {tab === 'upload' && <UploadPage />}
      {tab === 'presets' && <PresetsPage />}
      {tab === 'logs' && <LogsPage />}
      {tab === 'desk' && <DeskPage />}
      {tab === 'accounts' && <AccountsPage offline={data.offline} />}
      {tab === 'ensemble' && <EnsemblePage />}
      <ChunkBoundary what="This page" retryKey={data.offline} onRetry={retryPages}>
        <Suspense fallback={<div className="muted center">loading…</div>}>
          {tab === 'chart' && <ChartPage />}
          {tab === 'history' && <TradeHistoryPage />}
          {tab === 'profit' && <ProfitPage />}
        </Suspense>
      </ChunkBoundary>
      <main className={data.offline ? 'grid stale' : 'grid'} hidden={!live} data-stale={data.offline ? 'true' : 'false'}>
        <AccountCard account={data.account} />
        {data.otherAccounts.map((a) => (
          <AccountCard key={a.account_id} account={a} />
        ))}
        <EngineControls active={live} offline={data.offline} pushed={data.engineUpdate} />
        <ScannerSummary scan={data.scan} />
        <ScannerGrid snapshot={data.scanner} />
        <div className="positions row wrap">
          <AccountSwitcher value={liveAccount} onChange={setLiveAccount} />
        </div>
        <PositionsTable positions={data.positions} offline={data.offline} />
        <DeskPositions account={liveAccount} active={live} offline={data.offline} />
        <OrdersPanel account={liveAccount} active={live} offline={data.offline} />
        <ChunkBoundary what="The charts" retryKey={data.offline} onRetry={retryCharts}>
          <Suspense fallback={<section className="panel charts muted">loading charts…</section>}>
            {/* While the stream is down the charts poll their bars instead (and read them whole once it is back). */}
            <Charts trades={data.trades} active={live} subscribeBars={data.status === 'open' ? data.subscribeBars : undefined} />
          </Suspense>
        </ChunkBoundary>
        <TradeFeed trades={data.trades} />
        <EventLog events={data.events} />
      </main>
    </div>
  );
}

export function App() {
  const [auth, setAuth] = useState<AuthStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const retry = useRef<{ timer?: number; failures: number }>({ failures: 0 });
  // A refused (429) or unanswered check is asked again later, never left as a dead end; only an
  // unreachable server (no answer, 502-504) says so, and keeps retrying.
  const check = useCallback(() => {
    window.clearTimeout(retry.current.timer);
    api<AuthStatus>('/api/auth/status')
      .then((a) => {
        retry.current.failures = 0;
        setAuth(a);
        setError(null);
        setBusy(false);
      })
      .catch((e: unknown) => {
        if (!retryable(e)) return setError((e as Error).message);
        retry.current.failures += 1;
        const wait = backoffMs(1000, retry.current.failures, e instanceof ApiError ? e.retryAfterMs : 0);
        retry.current.timer = window.setTimeout(check, wait);
        if (e instanceof ApiError && e.status === 429) setBusy(true);
        else setError((e as Error).message);
      });
  }, []);
  useEffect(() => {
    check();
    window.addEventListener(UNAUTHORIZED_EVENT, check);
    return () => {
      window.clearTimeout(retry.current.timer);
      window.removeEventListener(UNAUTHORIZED_EVENT, check);
    };
  }, [check]);

  const logout = async () => {
    await api('/api/logout', { method: 'POST', json: {} }).catch(() => undefined);
    check();
  };

  if (!auth)
    return (
      <div className="center muted" data-testid="boot">
        {error ? `Cannot reach the server: ${error} — retrying` : busy ? 'the server is busy — retrying…' : 'loading…'}
      </div>
    );
  if (auth.password_required && !auth.authenticated) return <Login onLoggedIn={check} />;
  return <Dashboard passwordRequired={auth.password_required} onLogout={() => void logout()} />;
}
