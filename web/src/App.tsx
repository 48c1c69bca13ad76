import { useCallback, useEffect, useState } from 'react';
import { api, UNAUTHORIZED_EVENT } from './api';
import { AccountCard } from './components/AccountCard';
import { Charts } from './components/CandleChart';
import { EngineControls } from './components/EngineControls';
import { EventLog } from './components/EventLog';
import { Login } from './components/Login';
import { PositionsTable } from './components/PositionsTable';
import { ScannerSummary } from './components/ScannerSummary';
import { TradeFeed } from './components/TradeFeed';
import { useDashboardData } from './useDashboardData';

interface AuthStatus {
  authenticated: boolean;
  password_required: boolean;
}

function Dashboard({ passwordRequired, onLogout }: { passwordRequired: boolean; onLogout: () => void }) {
  const data = useDashboardData(true);
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
      <main className="grid">
        <AccountCard account={data.account} />
        <EngineControls />
        <ScannerSummary scan={data.scan} />
        <PositionsTable positions={data.positions} />
        <Charts />
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
