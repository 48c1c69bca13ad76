// The floor under the order round trip: a plain node:http + ws "venue" that does no work. A POST
// /order is answered at once, and the same tick sends one user-stream message to every WebSocket
// client (as the fake venue sends its fill event before its answer). bench/roundtrip-hops runs it
// in its own process and times POST → answer and POST → stream message on this machine.
//
//   node dist/bench/echo-venue.js      (prints {"url","wsUrl"} and serves until SIGTERM)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const clients = new Set<WebSocket>();
const wss = new WebSocketServer({ noServer: true });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('id') ?? '';
    const event = JSON.stringify({ e: 'ORDER_TRADE_UPDATE', o: { c: id, x: 'TRADE' } });
    for (const ws of clients) ws.send(event);
    const text = JSON.stringify({ clientOrderId: id, status: 'FILLED' });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 65_000;
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
