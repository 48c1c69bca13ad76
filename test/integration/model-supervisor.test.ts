// `tradewind start` with modelServers enabled: the model servers run as separate processes; one
// killed with SIGKILL is reported offline, restarted by the supervisor and online again. The
// main server's /metrics passes promtool.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { promtoolCheck, promtoolMissing, freePorts } from '../helpers/model-server.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

interface Model {
  name: string;
  status: string;
  online: boolean;
  process: string;
  pid: number | null;
  restarts: number;
  port: number;
  version: string | null;
  model_type: string | null;
  last_exit: { signal: string | null } | null;
}

const models = async (url: string) => (await getJson<{ models: Model[] }>(`${url}/api/ensemble/models`)).body.models;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('model servers supervised by tradewind start', () => {
  let server: ServerHandle;
  let ports: number[];
  before(async () => {
    ports = await freePorts(2);
    const dir = tempDir('tw-ensemble-');
    // restartMinMs is long enough that the offline state can be observed before the restart.
    const config = fastConfig(dir, { modelServers: { enabled: true, servers: ports.map((port, i) => ({ name: `model-${i + 1}`, port, model: '' })), healthIntervalMs: 200, restartMinMs: 2_000, restartMaxMs: 4_000 } });
    server = await startServer({ dataDir: dir, config });
  });
  after(async () => {
    const pids = server ? (await models(server.url).catch(() => [])).map((m) => m.pid) : [];
    await server?.stop();
    // Stopping the server stops its model servers.
    for (const pid of pids) if (pid) await waitFor(`model server ${pid} to exit`, async () => !alive(pid), 20_000);
  });

  it('runs each model server as its own process and reports it online with its health', async () => {
    const ms = await waitFor('both model servers online', async () => {
      const m = await models(server.url);
      return m.length === 2 && m.every((x) => x.online) ? m : null;
    }, 60_000);
    for (const [i, m] of ms.entries()) {
      assert.equal(m.name, `model-${i + 1}`);
      assert.equal(m.status, 'online');
      assert.equal(m.process, 'running');
      assert.equal(m.port, ports[i]);
      assert.equal(m.model_type, 'lightgbm');
      assert.equal(m.version, '1');
      assert.ok(m.pid && m.pid !== server.proc.pid && alive(m.pid));
      // The model server itself answers on its port.
      const h = await getJson<Record<string, unknown>>(`http://127.0.0.1:${m.port}/health`);
      assert.equal(h.body.model_loaded, true);
    }
  });

  it('a model server killed with SIGKILL is reported offline, restarted, and online again', async () => {
    const before = (await models(server.url))[0] as Model;
    assert.ok(before.pid);
    process.kill(before.pid, 'SIGKILL');
    const offline = await waitFor('model-1 reported offline', async () => {
      const m = (await models(server.url))[0] as Model;
      return m.status === 'offline' ? m : null;
    }, 20_000, 50);
    assert.equal(offline.online, false);
    assert.equal(offline.last_exit?.signal, 'SIGKILL');
    assert.equal(((await models(server.url))[1] as Model).status, 'online', 'the other one is untouched');
    const again = await waitFor('model-1 online again', async () => {
      const m = (await models(server.url))[0] as Model;
      return m.status === 'online' && m.restarts === 1 ? m : null;
    }, 60_000);
    assert.notEqual(again.pid, before.pid);
    assert.equal(again.process, 'running');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^tradewind_model_servers_online 2$/m);
  });

  it('GET /metrics of the main server: requests by route, orders, fills, risk refusals, event-loop lag; promtool check metrics passes', { skip: process.env.CI ? false : (promtoolMissing() ?? false) }, async () => {
    // The fast demo bot trades within seconds: wait for an order to be counted.
    const text = await waitFor('an order counted', async () => {
      const t = await (await fetch(`${server.url}/metrics`)).text();
      return /^tradewind_orders_total\{/m.test(t) ? t : null;
    }, 60_000, 250);
    for (const [name, type] of [
      ['http_request_duration_seconds', 'histogram'],
      ['tradewind_orders_total', 'counter'],
      ['tradewind_fills_total', 'counter'],
      ['tradewind_risk_refusals_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ]) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
    assert.match(text, /^http_request_duration_seconds_count\{method="GET",route="\/api\/ensemble\/models",status_code="200"\} \d+$/m);
    const check = promtoolCheck(text);
    assert.equal(check.status, 0, check.output);
    assert.equal(check.output.trim(), '');
  });
});
