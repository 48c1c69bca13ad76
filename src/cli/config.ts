import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import Value from 'typebox/value';
import type * as Yaml from 'yaml';
import { ConfigSchema, type TradewindConfig } from './config-schema.js';
import { defaultConfig } from './config-defaults.js';
import { accountProblems, normalizeAccounts } from './accounts-config.js';

/** The YAML parser, loaded only for a YAML file (synchronously, as loadConfig is; JSON and no file skip its ~70 modules). */
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

type Override = { path: string[]; parse: (v: string) => unknown } | { set: (v: string) => [string[], unknown][] };

const RATE_GROUPS = Object.keys(defaultConfig().rateLimit.groups);

/** Environment variables that override the file: name -> config path and parser. */
const ENV_OVERRIDES: Record<string, Override> = {
  PORT: { path: ['server', 'port'], parse: toNumber },
  HOST: { path: ['server', 'host'], parse: (v) => v },
  DATA_DIR: { path: ['dataDir'], parse: (v) => v },
  TRADEWIND_STORAGE: { path: ['storage'], parse: (v) => v },
  DATABASE_URL: { path: ['database', 'url'], parse: (v) => v },
  TRADEWIND_PG_SCHEMA: { path: ['database', 'schema'], parse: (v) => v },
  REDIS_URL: { path: ['redis', 'url'], parse: (v) => v },
  TRADEWIND_REDIS_PREFIX: { path: ['redis', 'keyPrefix'], parse: (v) => v },
  TRADEWIND_INSTANCE_ID: { path: ['redis', 'instanceId'], parse: (v) => v },
  TRADEWIND_CLUSTER: { path: ['cluster', 'enabled'], parse: toBoolean },
  TRADEWIND_ADVERTISE_URL: { path: ['cluster', 'advertiseUrl'], parse: (v) => v.replace(/\/$/, '') },
  LOG_LEVEL: { path: ['log', 'level'], parse: (v) => v },
  TRADEWIND_SEED: { path: ['feed', 'seed'], parse: toNumber },
  TRADEWIND_DEMO_BOT: { path: ['demoBot', 'enabled'], parse: toBoolean },
  TRADEWIND_RATE_LIMIT: { set: rateLimitFromEnv },
  ...Object.fromEntries(RATE_GROUPS.map((g) => [`TRADEWIND_RATE_LIMIT_${g.toUpperCase()}`, { set: (v: string) => rateGroupFromEnv(g, v) }])),
  TRADEWIND_CORS_ORIGINS: { path: ['server', 'corsOrigins'], parse: (v) => v.split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean) },
  TRADEWIND_TRUST_PROXY: { path: ['server', 'trustProxy'], parse: trustProxyFromEnv },
  TRADEWIND_PRESETS_DIR: { path: ['presetsDir'], parse: (v) => v },
  TV_WEBHOOK_SECRET: { path: ['tradingView', 'secret'], parse: (v) => v },
  DASHBOARD_PASSWORD: { path: ['auth', 'password'], parse: (v) => v },
  BRIDGE_HEARTBEAT_SECRET: { path: ['bridge', 'secret'], parse: (v) => v },
  TRADEWIND_IMPORT_DIR: { path: ['marketData', 'importDir'], parse: (v) => v },
  TRADEWIND_MAX_UPLOAD_BYTES: { path: ['marketData', 'maxUploadBytes'], parse: toNumber },
  TRADEWIND_MODEL_SERVERS: { path: ['modelServers', 'enabled'], parse: toBoolean },
  TRADEWIND_MODEL_TOKEN: { path: ['modelServers', 'token'], parse: (v) => v },
  TELEGRAM_CHAT_ID: { path: ['telegram', 'chatIds'], parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  TRADEWIND_API_TOKENS: { path: ['auth', 'apiTokens'], parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
};

export interface LoadOptions {
  file?: string;
  env?: Env;
  /** Highest precedence: command-line flags, as config paths. */
  overrides?: { path: string[]; value: unknown; source: string }[];
}

/**
 * Defaults, then the YAML/JSON file, then environment variables, then flags; validated as a
 * whole with messages that name the key and where its value came from.
 */
export function loadConfig(options: LoadOptions = {}): TradewindConfig {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const sources = new Map<string, string>();
  if (options.file) {
    const fromFile = readConfigFile(options.file);
    deepMerge(config, fromFile, [], sources, options.file);
  }
  for (const [name, o] of Object.entries(ENV_OVERRIDES)) {
    const raw = options.env?.[name];
    if (raw === undefined || raw === '') continue;
    for (const [path, value] of 'set' in o ? o.set(raw) : [[o.path, o.parse(raw)] as [string[], unknown]]) {
      setPath(config, path, value);
      sources.set(path.join('.'), `environment variable ${name}`);
    }
  }
  for (const o of options.overrides ?? []) {
    setPath(config, o.path, o.value);
    sources.set(o.path.join('.'), o.source);
  }
  // Seed 003: BRIDGE_HEARTBEAT_SECRET alone switches the bridge on (routes and account), unless
  // bridge.enabled is set explicitly somewhere.
  const bridge = config.bridge as { enabled?: unknown; secret?: unknown } | undefined;
  if (bridge && typeof bridge.secret === 'string' && bridge.secret !== '' && !sources.has('bridge.enabled')) {
    bridge.enabled = true;
    sources.set('bridge.enabled', 'bridge.secret being set');
  }
  const accountErrors = normalizeAccounts(config);
  if (accountErrors.length > 0) throw new ConfigError(`Invalid configuration:\n${accountErrors.map((m) => `  ${m}`).join('\n')}`);
  // Check first: collecting errors walks every branch of every union, and a valid config has none.
  const errors = Value.Check(ConfigSchema, config) ? [] : [...Value.Errors(ConfigSchema, config)].filter((e) => e.keyword !== 'boolean');
  if (errors.length > 0) {
    // One line per key: unions report every branch, which says nothing more.
    const byKey = new Map<string, string>();
    for (const e of errors) {
      const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
      const path = extra ? [...pathOf(e.instancePath), extra[0] as string] : pathOf(e.instancePath);
      const key = path.join('.');
      if (byKey.has(key)) continue;
      const allowed = allowedValues(path);
      const message = extra ? 'unknown key' : allowed ? `must be one of ${allowed.join(', ')}` : e.message;
      const source = sources.get(key) ?? (options.file ? `config file ${options.file}` : 'defaults');
      byKey.set(key, `  ${key || '(root)'}: ${message} (from ${source})`);
    }
    throw new ConfigError(`Invalid configuration:\n${[...byKey.values()].slice(0, 10).join('\n')}`);
  }
  const crossErrors = accountProblems(config as unknown as TradewindConfig);
  if (crossErrors.length > 0) throw new ConfigError(`Invalid configuration:\n${crossErrors.map((m) => `  ${m}`).join('\n')}`);
  return config as unknown as TradewindConfig;
}

/** The literal values a key accepts, when its schema is a union of literals. */
function allowedValues(path: string[]): string[] | null {
  let node: unknown = ConfigSchema;
  // Array items are stepped into by index (ensemble.model_endpoints.0.port).
  for (const key of path) {
    const n = node as { properties?: Record<string, unknown>; items?: unknown } | undefined;
    node = /^\d+$/.test(key) && n?.items ? n.items : n?.properties?.[key];
  }
  const anyOf = (node as { anyOf?: { const?: unknown }[] } | undefined)?.anyOf;
  if (!anyOf || !anyOf.every((b) => b.const !== undefined)) return null;
  return anyOf.map((b) => String(b.const));
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed: unknown = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be a mapping');
    return parsed as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`Config file ${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

/** Maps of named entries a file gives whole: its entries replace the defaults' (the desk trades exactly the assets listed). */
const REPLACED_WHOLE = new Set(['renkoDesk.assets']);

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>, path: string[], sources: Map<string, string>, origin: string): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key];
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current) && !REPLACED_WHOLE.has(here.join('.'))) {
      deepMerge(current, value, here, sources, origin);
    } else {
      target[key] = value;
      sources.set(here.join('.'), `config file ${origin}`);
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const pathOf = (pointer: string): string[] => pointer.split('/').filter(Boolean);

function toNumber(v: string): unknown {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/**
 * TRADEWIND_RATE_LIMIT: "off" disables every group, "on" enables them; "N" or "N/M" also sets
 * the seed 001 control group to N per window and M per second.
 */
function rateLimitFromEnv(v: string): [string[], unknown][] {
  if (/^(off|false|0)$/i.test(v.trim())) return [[['rateLimit', 'enabled'], false]];
  if (/^(on|true)$/i.test(v.trim())) return [[['rateLimit', 'enabled'], true]];
  return [[['rateLimit', 'enabled'], true], ...rateGroupFromEnv('control', v)];
}

/** TRADEWIND_RATE_LIMIT_<GROUP>: "N" (per the group's window) or "N/M" (and M per second). */
function rateGroupFromEnv(group: string, v: string): [string[], unknown][] {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(v.trim());
  const path = ['rateLimit', 'groups', group];
  // Not a number: let validation name the key and the variable.
  if (!m) return [[[...path, 'max'], v]];
  const out: [string[], unknown][] = [[[...path, 'max'], Number(m[1])]];
  if (m[2] !== undefined) out.push([[...path, 'burstPerSecond'], Number(m[2])]);
  return out;
}

/** TRADEWIND_TRUST_PROXY: true/false, a hop count, or comma-separated proxy addresses. */
function trustProxyFromEnv(v: string): unknown {
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) === 0 ? false : Number(v.trim());
  const b = toBoolean(v);
  if (typeof b === 'boolean') return b;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length === 1 ? list[0] : list;
}

function toBoolean(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v;
}

/** The configuration with secrets replaced, for printing and logs. */
export function redactConfig(config: TradewindConfig): TradewindConfig {
  const hide = (v: string) => (v ? '***' : '');
  return {
    ...config,
    auth: { ...config.auth, apiTokens: config.auth.apiTokens.map(() => '***'), password: hide(config.auth.password), passwordHash: hide(config.auth.passwordHash) },
    bridge: { ...config.bridge, secret: hide(config.bridge.secret) },
    tradingView: { ...config.tradingView, secret: hide(config.tradingView.secret) },
    modelServers: { ...config.modelServers, token: hide(config.modelServers.token) },
    database: { ...config.database, url: redactUrl(config.database.url) },
    telegram: { ...config.telegram, bot_token: hide(config.telegram.bot_token) },
  };
}

/** A connection URL with its password replaced (user, host and database stay readable). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url ? '***' : '';
  }
}
