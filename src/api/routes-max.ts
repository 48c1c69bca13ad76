import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Type from 'typebox';
import { MaxRequestError, type MaxService } from '../app/max-service.js';

export interface MaxRoutesOptions {
  max: MaxService;
  /** Largest tick file accepted (seed 002's upload limit is 300 MB). */
  maxUploadBytes?: number;
  /** Where uploads are spooled while a backtest reads them (default: the OS temp dir). */
  spoolDir?: string;
}

const tags = ['max'];
const BotParams = Type.Object({ bot_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

interface Form {
  fields: Record<string, string>;
  file: { path: string; name: string; bytes: number } | null;
  cleanup(): Promise<void>;
}

const fail = (reply: FastifyReply, error: unknown) => {
  if (error instanceof MaxRequestError) return reply.code(error.status).send({ detail: error.message, status_code: error.status });
  throw error;
};

/**
 * Reads a multipart form (seed 002) or a JSON object. The `file` part is streamed to a spool
 * file (bounded memory whatever its size and wherever it sits among the fields), which the
 * backtest then streams through the tick importer.
 */
async function readForm(req: FastifyRequest, spoolDir: string): Promise<Form> {
  const fields: Record<string, string> = {};
  let dir: string | null = null;
  const form: Form = {
    fields,
    file: null,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
  if (!req.isMultipart()) {
    const body = req.body;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        if (v !== null && v !== undefined) fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    }
    return form;
  }
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file' || form.file) {
        part.file.resume();
        throw new MaxRequestError(422, part.fieldname !== 'file' ? `unexpected file field '${part.fieldname}': send the tick data as 'file'` : 'send one tick data file');
      }
      dir ??= await mkdtemp(join(spoolDir, 'tw-max-'));
      const path = join(dir, 'ticks.upload');
      let bytes = 0;
      part.file.on('data', (c: Buffer) => (bytes += c.length));
      await pipeline(part.file, createWriteStream(path));
      // A browser's empty file input sends a part with no name and no bytes: no file.
      if (bytes > 0 || part.filename) form.file = { path, name: part.filename || 'upload', bytes };
    }
  } catch (error) {
    await form.cleanup();
    throw error;
  }
  return form;
}

function required(fields: Record<string, string>, names: string[]): void {
  const missing = names.filter((n) => (fields[n] ?? '').trim() === '');
  if (missing.length > 0) throw new MaxRequestError(422, `missing required field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
}

function quantity(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const q = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !(q >= 1) || q > 1_000) throw new MaxRequestError(422, `quantity must be a whole number of contracts from 1 to 1000, got ${JSON.stringify(raw)}`);
  return q;
}

const optional = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v.trim());

/** Seed 002's Max trading bot API, served only under /api/v1/run-bot. */
export async function maxRoutes(scope: FastifyInstance, options: MaxRoutesOptions): Promise<void> {
  const { max } = options;
  const spoolDir = options.spoolDir ?? tmpdir();
  if (!scope.hasContentTypeParser('multipart/form-data')) {
    await scope.register(multipart, { limits: { fileSize: options.maxUploadBytes ?? 300 * 1024 * 1024, files: 1, fields: 50, fieldSize: 64 * 1024 } });
  }
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/max-backtest',
    {
      config: { access: 'operator', rateGroup: 'batch', bodyTypes: ['multipart/form-data'] },
      schema: {
        tags,
        summary: 'Backtest the Max bot over an uploaded tick file or stored ticks (multipart/form-data)',
        description:
          'Fields: accountName, mode ("backtesting"), contract (NQ, ES, MNQ, MES), maxMode (long|short|both), point_key ' +
          '(trigger_stop_target1_trail, points), exit_strategy_key (target_timeout: points, minutes), notes, quantity (default 1), ' +
          'and either file (tick CSV: timestamp,price,volume) or dateFrom + dateTo (YYYY-MM-DD).',
        consumes: ['multipart/form-data', 'application/json'],
      },
    },
    async (req, reply) => {
      const controller = new AbortController();
      reply.raw.once('close', () => reply.raw.writableEnded || controller.abort());
      let form: Form | null = null;
      try {
        form = await readForm(req, spoolDir);
        const f = form.fields;
        required(f, ['accountName', 'mode', 'contract', 'maxMode', 'point_key', 'exit_strategy_key']);
        return await max.backtest(
          {
            accountName: (f.accountName as string).trim(),
            mode: (f.mode as string).trim(),
            contract: (f.contract as string).trim().toUpperCase(),
            maxMode: f.maxMode as string,
            point_key: (f.point_key as string).trim(),
            exit_strategy_key: (f.exit_strategy_key as string).trim(),
            notes: optional(f.notes),
            quantity: quantity(f.quantity),
            dateFrom: optional(f.dateFrom),
            dateTo: optional(f.dateTo),
            file: form.file,
          },
          controller.signal,
        );
      } catch (error) {
        return fail(reply, error);
      } finally {
        await form?.cleanup();
      }
    },
  );

  app.post(
    '/max',
    {
      config: { access: 'operator', rateGroup: 'batch', bodyTypes: ['multipart/form-data'] },
      schema: {
        tags,
        summary: 'Start a Max bot on the paper account and the simulated feed (multipart/form-data; DEMO only)',
        description:
          'Fields: accountName (default APEX_136189), contract, maxMode (optional, default trading_mode), trading_mode and trading_side ' +
          '(long|short|both; the bot trades the sides all three allow), point_strategy_key (default 15_7_5_2), exit_strategy_key ' +
          '(default 15_15), quantity (default 1), environment (DEMO|LIVE; LIVE is refused without live credentials), accounts_ids (JSON), notes.',
        consumes: ['multipart/form-data', 'application/json'],
      },
    },
    async (req, reply) => {
      let form: Form | null = null;
      try {
        form = await readForm(req, spoolDir);
        if (form.file) throw new MaxRequestError(422, 'POST /max takes no file');
        const f = form.fields;
        required(f, ['contract', 'trading_mode', 'trading_side', 'environment']);
        let accounts: unknown = null;
        if (optional(f.accounts_ids) !== null) {
          try {
            accounts = JSON.parse(f.accounts_ids as string);
          } catch {
            throw new MaxRequestError(422, `accounts_ids must be a JSON array, e.g. [{"tv_id":"D18156785","ta_id":"PAAPEX1361890000010"}]`);
          }
          if (!Array.isArray(accounts)) throw new MaxRequestError(422, 'accounts_ids must be a JSON array');
        }
        return max.start({
          accountName: optional(f.accountName) ?? 'APEX_136189',
          contract: (f.contract as string).trim().toUpperCase(),
          maxMode: optional(f.maxMode),
          trading_mode: (f.trading_mode as string).trim(),
          trading_side: (f.trading_side as string).trim(),
          point_strategy_key: optional(f.point_strategy_key) ?? '15_7_5_2',
          exit_strategy_key: optional(f.exit_strategy_key) ?? '15_15',
          quantity: quantity(f.quantity),
          environment: (f.environment as string).trim(),
          accounts_ids: accounts,
          notes: optional(f.notes),
        });
      } catch (error) {
        return fail(reply, error);
      } finally {
        await form?.cleanup();
      }
    },
  );

  app.get('/max', { config: { access: 'operator' }, schema: { tags, summary: 'Max bots started since the server started, with their status' } }, async () => ({ bots: max.list() }));

  app.get('/max/:bot_id', { config: { access: 'operator' }, schema: { tags, summary: 'A Max bot: status, phase, position, trades', params: BotParams } }, async (req, reply) => {
    try {
      return max.status(req.params.bot_id);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post('/max/:bot_id/stop', { config: { access: 'operator' }, schema: { tags, summary: 'Stop a Max bot and close its open position at market', params: BotParams } }, async (req, reply) => {
    try {
      return max.stop(req.params.bot_id);
    } catch (error) {
      return fail(reply, error);
    }
  });
}
