/** A labelled progress bar (backtests, uploads). */
export function ProgressBar({ fraction, label, state, testId }: { fraction: number; label: string; state?: string; testId?: string }) {
  const pct = Math.max(0, Math.min(1, fraction)) * 100;
  return (
    <div className={`progress ${state ?? ''}`} data-testid={testId} data-fraction={fraction.toFixed(4)} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
      <div className="bar" style={{ width: `${pct}%` }} />
      <span>{label}</span>
    </div>
  );
}
