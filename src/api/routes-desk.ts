import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DeskResult, RenkoDesk } from '../app/renko-desk/desk.js';

type Body = Record<string, unknown>;
const body = (raw: unknown): Body => (raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Body) : {});
const send = (reply: FastifyReply, r: DeskResult) => (r.ok ? reply.send(r.body) : reply.code(r.status).send({ ok: false, error: r.error }));

/**
 * Seed 003 operator desk: POST /api/orders (the eight entry checks) and every control route.
 * Operator routes; errors are {ok: false, error}.
 */
export async function deskRoutes(app: FastifyInstance, desk: RenkoDesk): Promise<void> {
  const tags = ['desk'];
  const routes: [string, string, (b: Body) => DeskResult][] = [
    ['/orders', 'Operator entry: market or pre-order, after the eight checks (seed 003)', (b) => desk.order(b)],
    ['/exit', 'Exit the open position of an asset (exit lock unless force)', (b) => desk.exit(b)],
    ['/exit-all', 'Exit every open desk position', (b) => desk.exitAll(b)],
    ['/scale-in', 'Add to an open position (when scale_in_available)', (b) => desk.scaleIn(b)],
    ['/protect', 'Protect soft stop: enabled, threshold -2.0 or 0.5 points', (b) => desk.protect(b)],
    ['/points-take-profit', 'Points take-profit: enabled, target points', (b) => desk.pointsTakeProfit(b)],
    ['/take-profit', 'Signal-count take-profit: tp_arm toggle, tp_target, reset', (b) => desk.takeProfit(b)],
    ['/high-next-bar-exit', 'Toggle the 8pt next-bar exit', (b) => desk.highNextBarExit(b)],
    ['/main-flip-exit', 'Toggle the 6pt flip exit', (b) => desk.mainFlipExit(b)],
    ['/four-pt-invalidation', 'Toggle the 4pt invalidation exit', (b) => desk.fourPtInvalidation(b)],
    ['/auto-exit', 'Auto-exit (timeframe locked to 6pt)', (b) => desk.autoExit(b)],
    ['/intent', 'Next-bar entry intent (READY on the next 6pt bar, expires one bar later)', (b) => desk.intent(b)],
    ['/intent/cancel', 'Cancel the entry intent', (b) => desk.intentCancel(b)],
    ['/preorder/cancel', 'Cancel the pre-order', (b) => desk.preorderCancel(b)],
    ['/two-half-tp-lock', 'Always 423: the 2.5pt lock is automatic', () => desk.twoHalfLock()],
    ['/trade-limit/consume', 'Consume one daily trade slot (reconciliation)', () => desk.consumeTrade()],
    ['/env', 'Switch DEMO/LIVE (LIVE needs live credentials)', (b) => desk.setEnv(b)],
  ];
  for (const [path, summary, handler] of routes) {
    app.post(path, { config: { access: 'operator' }, schema: { tags, summary } }, async (req, reply) => send(reply, handler(body(req.body))));
  }
  app.get('/desk/state', { config: { access: 'operator' }, schema: { tags, summary: 'The Renko desk state alone (also merged into GET /api/state)' } }, async () => desk.stateView());
}
