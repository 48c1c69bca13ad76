import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream, createWriteStream, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { matchInstrumentSymbol, type MarketDataStore } from '../core/market-data.js';
import { ingest, sniffKind, type IngestSummary } from '../adapters/importers/ingest.js';
import type { ImportFormat } from '../adapters/importers/index.js';
import { detectLayout, kindOf } from '../adapters/importers/formats.js';

export interface UploadOptions {
  store: MarketDataStore;
  /** `file_path` must resolve (symlinks followed) inside this directory. */
  importDir: string;
  /** Largest accepted file (seed 002: 300 MB). */
  maxBytes: number;
  /** Symbols accepted as `instrument`. */
  instruments: string[];
  /** Rows per batch; undefined = the store's own choice. */
  batchSize?: number;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const MB = 1024 * 1024;
/** Room for the multipart framing and the text fields around the file. */
const FORM_OVERHEAD = 64 * 1024;

interface Fields {
  instrument?: string;
  has_header?: string;
  skip_duplicates?: string;
  supabase_target?: string;
  format?: string;
  file_path?: string;
}

function parseBool(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new HttpError(422, `${name} must be true or false, not '${v}'`);
}

/**
 * POST /api/upload-tick-data (seed 002): a multipart form with `file` (or `file_path` inside the
 * import directory), `instrument`, `has_header`, `skip_duplicates`, `supabase_target`; the answer
 * is a Server-Sent Events stream of started / progress (one per stored batch) / completed or error.
 *
 * When the text fields precede the file (as in `curl -F instrument=NQ -F file=@...`), the file is
 * parsed while it uploads. When the file comes first, it is spooled to a temporary file in the
 * import directory (never to memory) and parsed once the form is complete.
 */
export async function uploadRoutes(scope: FastifyInstance, options: UploadOptions): Promise<void> {
  const limit = options.maxBytes;
  const tooLarge = () => new HttpError(413, `file too large: the limit is ${limit >= MB ? `${Math.round(limit / MB)} MB` : `${limit} bytes`}`);
  await scope.register(async (s) => {
    await s.register(multipart, { limits: { fileSize: limit, files: 1, fields: 20, fieldSize: 64 * 1024 }, throwFileSizeLimit: true });
    s.post('/upload-tick-data', { config: { access: 'operator', rateGroup: 'uploads', bodyTypes: ['multipart/form-data'] }, schema: { tags: ['upload'], summary: 'Upload tick data (multipart); progress as Server-Sent Events' } }, async (req, reply) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit + FORM_OVERHEAD) throw tooLarge();
      if (!req.isMultipart()) throw new HttpError(400, 'expected a multipart/form-data body with file or file_path and instrument');
      const fields: Fields = {};
      let spooled: string | null = null;
      let fileName: string | undefined;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            if (typeof part.value === 'string') (fields as Record<string, string>)[part.fieldname] = part.value;
            continue;
          }
          if (part.fieldname !== 'file') {
            part.file.resume();
            throw new HttpError(400, `unexpected file field '${part.fieldname}'; send the data as 'file'`);
          }
          fileName = part.filename;
          // Fields sent before the file without an instrument: the file's name may say it.
          if (fields.instrument === undefined && Object.keys(fields).length > 0) fields.instrument = instrumentFromFileName(fileName, options.instruments);
          if (fields.instrument !== undefined) {
            // Fields first: parse while the file uploads, as ticks or bars by its first line (the
            // page sends its fields first). The response takes over from here.
            const settings = validate(fields, options);
            const { kind, stream } = await sniffStream(countBytes(part, limit, tooLarge), settings);
            await streamImport(req, reply, options, settings, stream, kind);
            return reply;
          }
          spooled = await spool(part, options.importDir, limit, tooLarge);
        }
        if (spooled) fields.instrument ??= instrumentFromFileName(fileName, options.instruments);
        const settings = validate(fields, options);
        if (spooled) {
          await streamImport(req, reply, options, settings, spooled, await sniffKind(spooled, { format: settings.format }));
          return reply;
        }
        if (!fields.file_path) throw new HttpError(400, 'send a file (field "file") or a file_path');
        const path = insideImportDir(fields.file_path, options.importDir);
        if (statSync(path).size > limit) throw tooLarge();
        await streamImport(req, reply, options, settings, path, await sniffKind(path, { format: settings.format }));
        return reply;
      } catch (error) {
        const e = error as Error & { code?: string; statusCode?: number };
        if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
        throw error;
      } finally {
        if (spooled) rmSync(spooled, { force: true });
      }
    });
  });
}

/**
 * The instrument a file's name names, when it is obvious: one name part (split on anything but
 * letters and digits) is a supported symbol (BTCUSDT-1m-2025-01.csv: BTC/USDT), or a futures
 * contract of one (NQH5_ticks.csv: NQ). Undefined when none or several match.
 */
export function instrumentFromFileName(fileName: string | undefined, instruments: readonly string[]): string | undefined {
  if (!fileName) return undefined;
  const parts = fileName.replace(/\.[^.]*$/, '').toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  const found = new Set<string>();
  for (const part of parts) {
    const exact = matchInstrumentSymbol(part, instruments);
    if (exact) found.add(exact);
    else {
      const contract = /^([A-Z]{1,4})[FGHJKMNQUVXZ]\d{1,2}$/.exec(part);
      const root = contract ? matchInstrumentSymbol(contract[1]!, instruments) : undefined;
      if (root) found.add(root);
    }
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/**
 * Ticks or bars, from the first non-empty line of an upload still arriving: reads just enough of
 * the stream, then hands back a stream that replays those bytes before the rest. (sniffKind does
 * this for a file on disk; a stream cannot be re-read, hence this.)
 */
async function sniffStream(source: Readable, settings: Settings): Promise<{ kind: 'tick' | 'bar'; stream: Readable }> {
  if (settings.format !== 'auto') return { kind: kindOf(settings.format), stream: source };
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let ended = false;
  let line: string | undefined;
  for (let size = 0; line === undefined && size < 1024 * 1024; ) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    size += next.value.length;
    const lines = Buffer.concat(head).toString('utf8').split(/\r?\n/);
    line = lines.slice(0, -1).find((l) => l.trim() !== '');
  }
  line ??= Buffer.concat(head).toString('utf8').split(/\r?\n/).find((l) => l.trim() !== '');
  let kind: 'tick' | 'bar' = 'tick';
  if (line !== undefined) {
    // A header setting that contradicts the line (has_header ticked on a file without one) is
    // left to the reader to report; here only the kind is wanted, so detect the header too.
    const layout = detectLayout(line, { format: 'auto', hasHeader: 'auto', intervalMs: () => 0 });
    if (typeof layout !== 'string') kind = kindOf(layout.format);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (ended) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { kind, stream: Readable.from(replay(), { objectMode: false }) };
}

interface Settings {
  symbol: string;
  hasHeader: boolean | 'auto';
  skipDuplicates: boolean;
  supabaseTarget: string;
  format: ImportFormat | 'auto';
}

function validate(fields: Fields, options: UploadOptions): Settings {
  if (!fields.instrument) throw new HttpError(422, `instrument is required (one of ${options.instruments.join(', ')})`);
  const symbol = matchInstrumentSymbol(fields.instrument, options.instruments);
  if (!symbol) throw new HttpError(422, `unknown instrument '${fields.instrument}'; supported: ${options.instruments.join(', ')}`);
  const format = (fields.format ?? 'auto') as ImportFormat | 'auto';
  if (!['auto', 'tick', 'binance', 'ohlcv'].includes(format)) throw new HttpError(422, `format must be tick, binance or ohlcv, not '${fields.format}'`);
  const hasHeader = fields.has_header?.trim().toLowerCase() === 'auto' ? 'auto' : parseBool('has_header', fields.has_header, true);
  return { symbol, hasHeader, skipDuplicates: parseBool('skip_duplicates', fields.skip_duplicates, true), supabaseTarget: fields.supabase_target ?? 'selfhosted', format };
}

/** Resolves `file_path` and refuses anything outside the import directory, symlinks included. */
function insideImportDir(filePath: string, importDir: string): string {
  mkdirSync(importDir, { recursive: true });
  const root = realpathSync(importDir);
  const candidate = isAbsolute(filePath) ? filePath : join(root, filePath);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    const rel = relative(root, resolve(candidate));
    if (rel.startsWith('..') || isAbsolute(rel)) throw new HttpError(403, 'file_path must be inside the import directory (marketData.importDir)');
    throw new HttpError(400, `file_path not found: ${filePath}`);
  }
  if (real !== root && !real.startsWith(root + sep)) throw new HttpError(403, 'file_path must be inside the import directory (marketData.importDir)');
  if (!statSync(real).isFile()) throw new HttpError(400, `file_path is not a file: ${filePath}`);
  return real;
}

/** Counts the bytes of the upload and fails it past the limit (a body without Content-Length). */
function countBytes(part: MultipartFile, limit: number, tooLarge: () => Error): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
  part.file.on('error', (e) => counter.destroy(e));
  part.file.on('limit', () => counter.destroy(tooLarge()));
  return part.file.pipe(counter);
}

async function spool(part: MultipartFile, dir: string, limit: number, tooLarge: () => Error): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `.upload-${randomUUID()}.tmp`);
  try {
    await pipeline(countBytes(part, limit, tooLarge), createWriteStream(path));
    if (part.file.truncated) throw tooLarge();
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
  return path;
}

function sse(reply: FastifyReply): (event: Record<string, unknown>) => void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = String(v);
  reply.hijack();
  reply.raw.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  return (event) => {
    if (!reply.raw.destroyed && !reply.raw.writableEnded) reply.raw.write(`data: ${JSON.stringify(event)}\n\n`);
  };
}

async function streamImport(req: FastifyRequest, reply: FastifyReply, options: UploadOptions, settings: Settings, source: string | Readable, kind: 'tick' | 'bar'): Promise<void> {
  const abort = new AbortController();
  // A client that goes away stops the import after the batch in hand (each batch is atomic).
  const onClose = () => {
    if (!reply.raw.writableEnded) abort.abort();
  };
  reply.raw.on('close', onClose);
  req.raw.on('aborted', onClose);
  const send = sse(reply);
  send({ status: 'started', message: 'Upload started' });
  const readable = typeof source === 'string' ? createReadStream(source, { highWaterMark: MB }) : source;
  const started = performance.now();
  try {
    const summary: IngestSummary = await ingest(readable, options.store, kind, {
      symbol: settings.symbol,
      format: settings.format,
      hasHeader: settings.hasHeader,
      skipDuplicates: settings.skipDuplicates,
      batchSize: options.batchSize,
      signal: abort.signal,
      onBatch: (p) => send({ status: 'progress', batch: p.batch, uploaded: p.inserted, skipped: p.skipped }),
    });
    if (summary.aborted) {
      req.log.info({ symbol: settings.symbol, stored: summary.inserted }, 'upload stopped: client disconnected');
      return;
    }
    send({
      status: 'completed',
      success: true,
      instrument: settings.symbol,
      format: summary.format,
      total_rows: summary.totalRows,
      uploaded_rows: summary.inserted,
      skipped_rows: summary.skipped,
      malformed_rows: summary.malformed,
      malformed_examples: summary.malformedExamples,
      supabase_target: settings.supabaseTarget,
      duration: `${((performance.now() - started) / 1000).toFixed(1)}s`,
    });
  } catch (error) {
    const e = error as Error & { code?: string };
    const message = e.code === 'FST_REQ_FILE_TOO_LARGE' ? `file too large: the limit is ${Math.round(options.maxBytes / MB)} MB` : e.message;
    req.log.warn({ err: e }, 'upload failed');
    send({ status: 'error', message });
  } finally {
    readable.destroy();
    reply.raw.off('close', onClose);
    reply.raw.end();
  }
}
