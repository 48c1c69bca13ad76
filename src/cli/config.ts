import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type TradewindConfig } from './config-schema.js';
import { defaultConfig } from './config-defaults.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Environment variables that override the file: name -> config path and parser. */
const ENV_OVERRIDES: Record<string, { path: string[]; parse: (v: string) => unknown }> = {
  PORT: { path: ['server', 'port'], parse: toNumber },
  HOST: { path: ['server', 'host'], parse: (v) => v },
  DATA_DIR: { path: ['dataDir'], parse: (v) => v },
  LOG_LEVEL: { path: ['log', 'level'], parse: (v) => v },
  TRADEWIND_SEED: { path: ['feed', 'seed'], parse: toNumber },
  TRADEWIND_DEMO_BOT: { path: ['demoBot', 'enabled'], parse: toBoolean },
  TRADEWIND_RATE_LIMIT: { path: ['rateLimit'], parse: rateLimitFromEnv },
  TRADEWIND_PRESETS_DIR: { path: ['presetsDir'], parse: (v) => v },
  TV_WEBHOOK_SECRET: { path: ['tradingView', 'secret'], parse: (v) => v },
  DASHBOARD_PASSWORD: { path: ['auth', 'password'], parse: (v) => v },
  BRIDGE_HEARTBEAT_SECRET: { path: ['bridge', 'secret'], parse: (v) => v },
  TRADEWIND_IMPORT_DIR: { path: ['marketData', 'importDir'], parse: (v) => v },
  TRADEWIND_MAX_UPLOAD_BYTES: { path: ['marketData', 'maxUploadBytes'], parse: toNumber },
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
    setPath(config, o.path, o.parse(raw));
    sources.set(o.path.join('.'), `environment variable ${name}`);
  }
  for (const o of options.overrides ?? []) {
    setPath(config, o.path, o.value);
    sources.set(o.path.join('.'), o.source);
  }
  // Seed 003 configures the bridge by its secret alone: a bridge secret turns the bridge account
  // on unless bridge.enabled is set explicitly (file or flag).
  const bridge = config.bridge as Record<string, unknown> | undefined;
  if (bridge && typeof bridge.secret === 'string' && bridge.secret !== '' && !sources.has('bridge.enabled')) {
    bridge.enabled = true;
    sources.set('bridge.enabled', `bridge secret (${sources.get('bridge.secret') ?? 'configured'})`);
  }
  const errors = [...Value.Errors(ConfigSchema, config)].filter((e) => e.keyword !== 'boolean');
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
  return config as unknown as TradewindConfig;
}

/** The literal values a key accepts, when its schema is a union of literals. */
function allowedValues(path: string[]): string[] | null {
  let node: unknown = ConfigSchema;
  for (const key of path) node = (node as { properties?: Record<string, unknown> }).properties?.[key];
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

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>, path: string[], sources: Map<string, string>, origin: string): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key];
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
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

/** "off" disables rate limiting; "N" or "N/M" sets N per minute and M per second. */
function rateLimitFromEnv(v: string): unknown {
  const base = defaultConfig().rateLimit;
  if (/^(off|false|0)$/i.test(v)) return { ...base, enabled: false };
  const m = /^(\d+)(?:\/(\d+))?$/.exec(v.trim());
  if (!m) return v;
  return { ...base, enabled: true, max: Number(m[1]), burstPerSecond: m[2] === undefined ? base.burstPerSecond : Number(m[2]) };
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
  };
}
