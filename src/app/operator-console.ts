import type { OperatorConsole } from '../core/notifier.js';
import type { Kernel } from '../engine/kernel.js';
import type { EngineController } from './engine-controller.js';

const money = (v: number): string => v.toFixed(2);

/** The chat commands' view of the server: the primary engine, and the positions of every account. */
export class KernelOperatorConsole implements OperatorConsole {
  constructor(
    private readonly engine: EngineController,
    /** Every account's kernel (the primary first). */
    private readonly kernels: readonly Kernel[],
  ) {}

  status(): string {
    const s = this.engine.status();
    const lines = [
      `Engine ${s.state}${s.preset ? ` (preset ${s.preset}, ${s.mode})` : ''}; kill switch ${s.killSwitch ? 'ENGAGED' : 'off'}`,
      ...this.kernels.map((k) => {
        const a = k.portfolio.view();
        return `Account ${a.id}: equity ${money(a.equity)} ${a.currency}, day P&L ${money(a.dayPnl)}, open positions ${a.openPositions}, working orders ${k.execution.openOrders().length}`;
      }),
    ];
    return lines.join('\n');
  }

  positions(): string {
    const lines = this.kernels.flatMap((k) =>
      k.portfolio.openPositions().map((p) => `${p.accountId} ${p.symbol} ${p.side.toUpperCase()} ${p.qty} @ ${p.avgPrice} — mark ${p.markPrice}, unrealized ${money(p.unrealizedPnl)}${p.stopPrice !== null ? `, stop ${p.stopPrice}` : ''}`),
    );
    return lines.length > 0 ? lines.join('\n') : 'No open positions.';
  }

  pause(): string {
    const r = this.engine.pause();
    return r.ok ? `${r.message} (state ${r.state}).` : `Pause refused: ${r.detail}`;
  }

  emergencyStop(reason: string): string {
    const r = this.engine.emergencyStop(reason);
    return r.ok ? `${r.message}. State ${r.state}.` : `Emergency stop refused: ${r.detail}`;
  }
}
