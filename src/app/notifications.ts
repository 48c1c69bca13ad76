import type { KernelEvent } from '../core/events.js';
import type { VenueDifference } from '../core/venue.js';
import type { Notification, Notifier } from '../core/notifier.js';
import type { MessageBus } from '../engine/message-bus.js';
import type { Cancel } from '../core/ports.js';

/** The kinds of events an operator can have sent to a chat (config `telegram.notify`). */
export const NOTIFY_KINDS = ['fills', 'risk', 'kill-switch', 'daily-stop', 'venue', 'reconciliation', 'halts'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

const num = (v: number): string => String(Math.round(v * 1e8) / 1e8);

/** One line for a reconciliation difference (src/core/venue.ts). */
function describeDifference(d: VenueDifference): string {
  switch (d.kind) {
    case 'missing-fill':
      return `venue trade ${d.tradeId} for order ${d.orderId} (${num(d.qty)} @ ${num(d.price)}) was not in the journal: applied`;
    case 'order-status':
      return `order ${d.orderId} is ${d.journal} in the journal, ${d.venue} at the venue: the venue's status applied`;
    case 'order-missing':
      return `order ${d.orderId} (${d.clientOrderId}) never reached the venue: closed as rejected`;
    case 'unknown-order':
      return `venue order ${d.venueOrderId} ${d.side} ${num(d.qty)} ${d.symbol} is not ours: ${d.action}`;
    case 'unknown-fill':
      return `venue trade ${d.tradeId} (${num(d.qty)} ${d.symbol} @ ${num(d.price)}) for unknown order ${d.venueOrderId}`;
    case 'position':
      return `${d.symbol}: journal ${num(d.journal)}, venue ${num(d.venue)}`;
    case 'balance':
      return `${d.currency}: journal ${num(d.journal)}, venue ${num(d.venue)}`;
    case 'query-failed':
      return `query ${d.query} failed (${d.error}): nothing concluded`;
  }
}

/** The chat message for an event, or null when the event is not one an operator is told about. */
export function notificationFor(event: KernelEvent): (Notification & { kind: NotifyKind }) | null {
  switch (event.type) {
    case 'fill': {
      const { fill, order } = event;
      return { kind: 'fills', text: `Fill ${fill.side.toUpperCase()} ${num(fill.qty)} ${fill.symbol} @ ${num(fill.price)} (fee ${num(fill.fee)}) — order ${order.id}, ${order.purpose}, ${order.status}, account ${fill.accountId}` };
    }
    case 'risk-rejected': {
      const r = event.request;
      return { kind: 'risk', text: `Refused by risk: ${r.side.toUpperCase()} ${num(r.qty)} ${r.symbol} (${r.purpose}, bot ${r.botId}, account ${r.accountId}): ${event.reason}` };
    }
    case 'kill-switch':
      return event.engaged
        ? { kind: 'kill-switch', text: `Kill switch engaged — emergency stop: ${event.reason}. Entries refused on every account, working orders cancelled, positions being closed.` }
        : { kind: 'kill-switch', text: `Kill switch re-armed: ${event.reason}. Entries allowed again.` };
    case 'daily-stop':
      return { kind: 'daily-stop', text: `Daily stop hit on account ${event.accountId}: day P&L ${event.pnl.toFixed(2)} reached the -${event.limit.toFixed(2)} limit (${event.source}). Entries stop until the next UTC day.` };
    case 'feed-connection': {
      const what = { connected: 'connected again', disconnected: 'DISCONNECTED', polling: 'streams down, polling REST' }[event.state];
      return { kind: 'venue', key: `venue:${event.venue}:${event.channel}`, text: `Venue ${event.venue} ${event.channel}: ${what} — ${event.detail}` };
    }
    case 'venue-connection': {
      if (event.state === 'connecting') return null;
      const what = event.state === 'connected' ? 'connected again' : event.state.toUpperCase();
      return { kind: 'venue', key: `account:${event.accountId}`, text: `Account ${event.accountId}: ${what} — ${event.detail}` };
    }
    case 'feed-gap':
      if (event.backfilled >= event.missing) return null;
      return { kind: 'venue', text: `Market data gap on ${event.venue} ${event.symbol}: ${event.missing - event.backfilled} of ${event.missing} ${event.kind} lost (not returned by the venue's REST API)` };
    case 'venue-difference':
      return { kind: 'reconciliation', text: `Reconciliation difference on account ${event.accountId} (${event.difference.kind}, ${event.reason}): ${describeDifference(event.difference)}` };
    case 'account-halted':
      return { kind: 'halts', text: `Account ${event.accountId} HALTED (${event.context}): ${event.reason}. Restart to resume from the journal.` };
    default:
      return null;
  }
}

/**
 * Sends the chosen kinds of events from the given buses to the notifier. The handlers only format
 * and enqueue (Notifier.notify never waits), so the trading loop is never held up by the chat.
 * A venue reconnect is only worth a message after a disconnect was reported.
 */
export function forwardNotifications(buses: readonly MessageBus[], notifier: Notifier, kinds: readonly NotifyKind[]): Cancel {
  const wanted = new Set(kinds);
  const down = new Set<string>();
  const handler = (event: KernelEvent) => {
    const n = notificationFor(event);
    if (!n || !wanted.has(n.kind)) return;
    if (event.type === 'feed-connection' || event.type === 'venue-connection') {
      const key = n.key as string;
      if (event.state === 'connected' && !down.delete(key)) return;
      if (event.state !== 'connected') down.add(key);
    }
    notifier.notify({ text: n.text, ...(n.key ? { key: n.key } : {}) });
  };
  const types = ['fill', 'risk-rejected', 'kill-switch', 'daily-stop', 'feed-connection', 'venue-connection', 'feed-gap', 'venue-difference', 'account-halted'] as const;
  const cancels = [...new Set(buses)].flatMap((bus) => types.map((t) => bus.on(t, handler)));
  return () => {
    for (const c of cancels) c();
  };
}
