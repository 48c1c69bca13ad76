// Disk faults under a trading server, on a real filesystem: the data directory on a small tmpfs
// that fills up (SQLITE_FULL) or is remounted read-only (SQLITE_READONLY) while the demo bot
// trades. The account halts with an `account-halted` alert, the server keeps answering, nothing
// is half-written; once the disk is writable again a restart finds a sound journal whose fills
// match its positions, every announced fill in it, and trading resumes.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { auditJournal } from '../chaos/audit.js';
import { readJournal } from '../chaos/journal.js';
import { connectWs, fastConfig, getJson, startServer, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';
import { mountSmallFs, type SmallFs } from '../helpers/small-fs.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
type Obj = Record<string, unknown>;

const waitForFills = (server: ServerHandle, n: number) =>
  waitFor(`${n} fills`, async () => readJournal(server.dataDir).fills.length >= n, 60_000);

const halted = async (server: ServerHandle) =>
  (await getJson<{ accounts: { id: string; halted: { reason: string } | null }[] }>(`${server.url}/api/accounts`)).body.accounts.filter((a) => a.halted);

async function faultRun(fs: SmallFs, inject: () => void, heal: () => void, reason: RegExp): Promise<void> {
  const dataDir = `${fs.dir}/data`;
  const config = fastConfig(fs.dir, { renkoDesk: { enabled: false } });
  let server = await startServer({ dataDir, config, startTimeoutMs: 60_000 });
  const ws = await connectWs(server.wsUrl);
  let alert: WsMessage | undefined;
  try {
    await waitFor('the demo bot trading', async () => ws.messages.filter((m) => m.type === 'TRADE_EXECUTION').length >= 2, 60_000);
    inject();
    alert = await waitFor('an account-halted alert', async () => ws.messages.find((m) => m.type === 'ALERT' && m.kind === 'account-halted'), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- server output ---\n${server.output().slice(-6000)}`);
    });
    assert.match(String(alert.message), reason);
    const accounts = await halted(server);
    assert.ok(accounts.some((a) => a.id === alert?.account_id), `GET /api/accounts shows ${String(alert.account_id)} halted: ${JSON.stringify(accounts)}`);
    // Still serving (reads come from memory); a new order on the halted account is refused clearly.
    assert.equal((await getJson(`${server.url}/api/state`)).status, 200);
  } finally {
    ws.close();
    await server.kill9();
  }
  const announced = ws.messages.filter((m) => m.type === 'TRADE_EXECUTION').map((m) => String((m as Obj).fill_id));
  heal();
  const atCrash = readJournal(dataDir);
  assert.deepEqual(auditJournal(atCrash, []), [], 'the journal left by the halted server is consistent');
  const fillIds = new Set(atCrash.fills.map((f) => f.id));
  // A fill is announced only after its journal write committed: every announced one is on disk.
  for (const id of announced) assert.ok(fillIds.has(id), `announced fill ${id} is in the journal`);

  server = await startServer({ dataDir, config, startTimeoutMs: 60_000 });
  try {
    assert.deepEqual(await halted(server), [], 'no account halted after the restart');
    const fills = atCrash.fills.length;
    await waitFor('trading again after the restart', async () => readJournal(dataDir).fills.length > fills, 60_000);
  } finally {
    await server.stop();
  }
  assert.deepEqual(auditJournal(readJournal(dataDir), []), []);
}

describe('disk faults (a real small filesystem)', () => {
  const mounted: SmallFs[] = [];
  after(() => mounted.forEach((fs) => fs.unmount()));
  const mount = (t: { skip: (why: string) => void }): SmallFs | null => {
    const m = mountSmallFs(16);
    if ('why' in m) {
      if (ci) assert.fail(m.why);
      t.skip(m.why);
      return null;
    }
    mounted.push(m.fs);
    return m.fs;
  };

  it('disk full: the account halts with an alert, nothing half-written, a restart with space resumes trading', async (t) => {
    const fs = mount(t);
    if (!fs) return;
    await faultRun(fs, () => void fs.fill(), () => fs.free(), /full/i);
  });

  it('read-only data directory: the server refuses to start with a clear error naming the directory, and writes nothing', async (t) => {
    const fs = mount(t);
    if (!fs) return;
    // A data directory from an earlier run, then the filesystem goes read-only (a read-only
    // remount needs no open writer, so it is done between runs; a write failing mid-run is the
    // disk-full case above, or test/unit/journal-failure.test.ts's injected errors).
    const dataDir = `${fs.dir}/data`;
    const config = fastConfig(fs.dir, { renkoDesk: { enabled: false } });
    const server = await startServer({ dataDir, config, startTimeoutMs: 60_000 });
    await waitForFills(server, 1);
    await server.stop();
    const before = readJournal(dataDir);
    fs.readOnly();
    try {
      const failed = await startServer({ dataDir, config, startTimeoutMs: 60_000 }).then(
        async (s) => {
          await s.kill9();
          return null;
        },
        (err: Error) => err.message,
      );
      assert.ok(failed, 'the server must not start on a read-only data directory');
      assert.match(failed, /read-only|readonly/i);
      assert.ok(failed.includes(dataDir), `the error names the directory: ${failed}`);
    } finally {
      fs.readWrite();
    }
    const after = readJournal(dataDir);
    assert.equal(after.fills.length, before.fills.length);
    assert.equal(after.orders.size, before.orders.size);
  });
});
