import { useCallback, useEffect, useState } from 'react';
import { api, UNAUTHORIZED_EVENT } from './api';
import { AccountCard } from './components/AccountCard';
import { BacktestPage } from './components/BacktestPage';
import { DeskPage } from './components/DeskPage';
import { LogsPage, PresetsPage } from './components/LogsPage';
import { UploadPage } from './components/UploadPage';
import { Charts } from './components/CandleChart';
import { EngineControls } from './components/EngineControls';
import { EventLog } from './components/EventLog';
import { Login } from './components/Login';
import { PositionsTable } from './components/PositionsTable';
import { ScannerGrid } from './components/ScannerGrid';
import { ScannerSummary } from './components/ScannerSummary';
import { TradeFeed } from './components/TradeFeed';
import { useDashboardData } from './useDashboardData';

interface AuthStatus {
  authenticated: boolean;
  password_required: boolean;
}

const TABS = [
  ['live', 'Live'],
  ['backtest', 'Backtest'],
  ['upload', 'Upload'],
  ['presets', 'Presets'],
  ['logs', 'Logs & metrics'],
  ['desk', 'Operator desk'],
] as const;
type Tab = (typeof TABS)[number][0];
const tabFromHash = (): Tab => {
  const h = window.location.hash.replace(/^#\/?/, '');
  return (TABS.find(([t]) => t === h)?.[0] ?? 'live') as Tab;
};

function useTab(): [Tab, (t: Tab) => void] {
  const [tab, setTab] = useState<Tab>(tabFromHash);
  useEffect(() => {
    const on = () => setTab(tabFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return [tab, (t: Tab) => (window.location.hash = t === 'live' ? '' : t)];
}

function Dashboard({ passwordRequired, onLogout }: { passwordRequired: boolean; onLogout: () => void }) {
  const data = useDashboardData(true);
  const [tab, setTab] = useTab();
  return (
    <div className="app">
      <header>
        <h1>Tradewind</h1>
        <span className={`conn c-${data.status}`} data-testid="connection">
          {data.status === 'open' ? 'live' : data.status === 'connecting' ? 'connecting…' : 'disconnected — retrying'}
        </span>
        <span className="muted small" data-testid="last-update">
          {data.lastUpdate ? `updated ${new Date(data.lastUpdate).toLocaleTimeString('en-GB', { hour12: false })}` : ''}
        </span>
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
      {tab === 'backtest' && <BacktestPage />}
      {tab === 'upload' && <UploadPage />}
      {tab === 'presets' && <PresetsPage />}
      {tab === 'logs' && <LogsPage />}
      {tab === 'desk' && <DeskPage />}
      <main className="grid" hidden={tab !== 'live'}>
        <AccountCard account={data.account} />
        {data.otherAccounts.map((a) => (
          <AccountCard key={a.account_id} account={a} />
        ))}
        <EngineControls />
        <ScannerSummary scan={data.scan} />
        <ScannerGrid snapshot={data.scanner} />
        <PositionsTable positions={data.positions} />
        <Charts trades={data.trades} />
        <TradeFeed trades={data.trades} />
        <EventLog events={data.events} />
      </main>
    </div>
  );
}

export function App() {
  const [auth, setAuth] = useState<AuthStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = useCallback(() => {
    api<AuthStatus>('/api/auth/status')
      .then((a) => {
        setAuth(a);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    check();
    window.addEventListener(UNAUTHORIZED_EVENT, check);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, check);
  }, [check]);

  const logout = async () => {
    await api('/api/logout', { method: 'POST', json: {} }).catch(() => undefined);
    check();
  };

  if (!auth) return <div className="center muted">{error ? `Cannot reach the server: ${error}` : 'loading…'}</div>;
  if (auth.password_required && !auth.authenticated) return <Login onLoggedIn={check} />;
  return <Dashboard passwordRequired={auth.password_required} onLogout={() => void logout()} />;
}
