import { memo } from 'react';
import { fmt, pnlClass, type Account } from '../api';

export const AccountCard = memo(function AccountCard({ account }: { account: Account | null }) {
  const items: [string, string, string?][] = account
    ? [
        ['Balance', fmt(account.balance)],
        ['Equity', fmt(account.equity)],
        ['Open P/L', fmt(account.profit), pnlClass(account.profit)],
        ['Day P/L', fmt(account.day_pl), pnlClass(account.day_pl)],
        ['Currency', account.currency],
        ['Leverage', `${account.leverage}×`],
      ]
    : [];
  return (
    <section className="panel account" data-testid="account" data-account={account?.account_id ?? ''}>
      <h2>
        Account <span className="muted">{account ? `${account.account_id ?? ''} · ${account.mode ?? ''}` : ''}</span>
      </h2>
      {account ? (
        <dl className="kv">
          {items.map(([k, v, cls]) => (
            <div key={k} data-field={k.toLowerCase().replace(/[^a-z]/g, '')}>
              <dt>{k}</dt>
              <dd className={cls ?? ''}>{v}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">waiting for data…</p>
      )}
    </section>
  );
});
