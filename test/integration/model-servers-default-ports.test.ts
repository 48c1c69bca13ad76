// `tradewind start` with only `ensemble.enabled: true`: the supervisor's defaults run four model
// servers on 8001-8004 and the coordinator's default endpoints reach exactly those four (seed 004's
// layout, nothing configured). The ports are fixed by the seed, so the test needs them free: it
// skips with the reason on a laptop where something else holds one, and fails under CI=true.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { freePorts } from '../helpers/model-server.js';

const DEFAULT_PORTS = [8001, 8002, 8003, 8004];
const ci = process.env.CI === 'true' || process.env.CI === '1';

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

interface Model {
  name: string;
  online: boolean;
  port: number;
  pid: number | null;
}

const busy = (await Promise.all(DEFAULT_PORTS.map(portFree))).flatMap((free, i) => (free ? [] : [DEFAULT_PORTS[i]]));
const skip = busy.length > 0 && !ci ? `ports ${busy.join(', ')} are in use on this machine (the seed's model server ports must be free)` : false;

describe('model servers on their default ports', { skip }, () => {
  let server: ServerHandle;
  let ws: Awaited<ReturnType<typeof connectWs>>;

  before(async () => {
    assert.deepEqual(busy, [], `the seed's model server ports must be free: ${busy.join(', ')} in use`);
    const [wsPort, metricsPort] = await freePorts(2);
    const dir = tempDir('tw-ms-defaults-');
    // Nothing about model servers or endpoints: both sides take their defaults.
    const config = fastConfig(dir, {
      demoBot: { enabled: false },
      trading: { timeframe: '1s', dry_run: true },
      ensemble: { enabled: true, websocket_port: wsPort, metrics_port: metricsPort },
      timing: { heartbeat_interval: 0.25, status_interval: 0.25, health_check_interval: 0.25, model_timeout: 5 },
    });
    server = await startServer({ config, dataDir: dir });
    ws = await connectWs(`ws://127.0.0.1:${wsPort}`);
  });

  after(async () => {
    ws?.close();
    await server?.stop();
  });

  it('runs model-1..model-4 on 8001-8004, each answering the seed requests on its port', async () => {
    const models = await waitFor('four model servers online', async () => {
      const m = (await getJson<{ models: Model[] }>(`${server.url}/api/ensemble/models`)).body.models;
      return m.length === 4 && m.every((x) => x.online) ? m : null;
    }, 90_000);
    assert.deepEqual(models.map((m) => [m.name, m.port]), DEFAULT_PORTS.map((p, i) => [`model-${i + 1}`, p]));
    assert.equal(new Set(models.map((m) => m.pid)).size, 4, 'four processes');
    for (const port of DEFAULT_PORTS) {
      const health = await getJson<{ status: string; model_loaded: boolean }>(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200, `GET :${port}/health`);
      assert.equal(health.body.model_loaded, true);
    }
  });

  it("the coordinator's default endpoints predict on those four servers", async () => {
    const status = await waitFor('a status_update with four models that predicted', async () =>
      ws.messages.find((m) => {
        const ms = m.models as { name: string; online: boolean; last_prediction: string | null }[] | undefined;
        return m.type === 'status_update' && ms?.length === 4 && ms.every((x) => x.online && x.last_prediction);
      }), 90_000);
    assert.deepEqual((status.models as { name: string }[]).map((m) => m.name), ['model-1', 'model-2', 'model-3', 'model-4']);
  });
});
