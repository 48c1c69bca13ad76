import { useEffect, useState } from 'react';
import { api } from '../api';
import type { TradeFilters } from './historyApi';

interface AccountsAnswer {
  accounts: { id: string; bots?: { id: string }[] }[];
}

/** Account and bot choices from GET /api/accounts, instrument and date range as inputs. */
export function TradeFiltersForm({ value, onChange, testid }: { value: TradeFilters; onChange: (f: TradeFilters) => void; testid: string }) {
  const [accounts, setAccounts] = useState<AccountsAnswer['accounts']>([]);
  useEffect(() => {
    api<AccountsAnswer>('/api/accounts')
      .then((a) => setAccounts(a.accounts))
      .catch(() => setAccounts([]));
  }, []);
  const bots = [...new Set(accounts.flatMap((a) => (a.bots ?? []).map((b) => b.id)))];
  const set = (k: keyof TradeFilters) => (e: { target: { value: string } }) => onChange({ ...value, [k]: e.target.value });
  return (
    <form className="filters" data-testid={testid} onSubmit={(e) => e.preventDefault()}>
      <label>
        Account
        <select name="account" value={value.account} onChange={set('account')}>
          <option value="">all</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Bot
        <input name="bot" list={`${testid}-bots`} value={value.bot} onChange={set('bot')} placeholder="any" size={10} />
        <datalist id={`${testid}-bots`}>
          {bots.map((b) => (
            <option key={b} value={b} />
          ))}
        </datalist>
      </label>
      <label>
        Instrument
        <input name="symbol" value={value.symbol} onChange={set('symbol')} placeholder="any, e.g. BTC/USDT" size={10} />
      </label>
      <label>
        From
        <input name="from" type="date" value={value.from} onChange={set('from')} />
      </label>
      <label>
        To
        <input name="to" type="date" value={value.to} onChange={set('to')} />
      </label>
    </form>
  );
}
