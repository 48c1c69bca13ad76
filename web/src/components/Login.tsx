import { useState, type FormEvent } from 'react';
import { api } from '../api';

export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api<{ ok: boolean }>('/api/login', { method: 'POST', json: { password } });
      setPassword('');
      onLoggedIn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form className="panel" onSubmit={(e) => void submit(e)} data-testid="login">
        <h1>Tradewind</h1>
        <label>
          Operator password
          <input type="password" autoFocus autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
        </label>
        <button type="submit" className="primary" disabled={busy || !password}>
          Log in
        </button>
        {error && (
          <div className="error small" role="alert">
            {error}
          </div>
        )}
      </form>
    </div>
  );
}
