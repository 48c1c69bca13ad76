import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PresetLoadError {
  file: string;
  message: string;
}

export type PresetValidator = (raw: unknown) => string[];

export type PresetUpdate =
  | { ok: true; preset: Record<string, unknown> }
  | { ok: false; code: 'not_found' | 'invalid'; message: string };

/**
 * Presets as JSON files in a directory. Shipped presets are copied in once; files are
 * validated at load (bad ones are reported and left out) and rewritten atomically on update.
 */
export class PresetFiles {
  private presets = new Map<string, Record<string, unknown>>();
  private errors: PresetLoadError[] = [];

  constructor(
    readonly dir: string,
    private readonly validate: PresetValidator,
    shippedDir?: string,
  ) {
    mkdirSync(dir, { recursive: true });
    if (shippedDir && existsSync(shippedDir)) {
      for (const f of readdirSync(shippedDir)) {
        if (f.endsWith('.json') && !existsSync(join(dir, f))) copyFileSync(join(shippedDir, f), join(dir, f));
      }
    }
    this.reload();
  }

  /** Re-reads every file; returns the problems found. */
  reload(): PresetLoadError[] {
    const presets = new Map<string, Record<string, unknown>>();
    const errors: PresetLoadError[] = [];
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(this.dir, file);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        errors.push({ file, message: `not valid JSON: ${(e as Error).message}` });
        continue;
      }
      const problems = this.validate(raw);
      if (problems.length > 0) {
        errors.push({ file, message: problems.join('; ') });
        continue;
      }
      const preset = raw as Record<string, unknown>;
      if (`${String(preset.name)}.json` !== file) {
        errors.push({ file, message: `name "${String(preset.name)}" does not match the file name` });
        continue;
      }
      presets.set(String(preset.name), preset);
    }
    this.presets = presets;
    this.errors = errors;
    return errors;
  }

  loadErrors(): PresetLoadError[] {
    return [...this.errors];
  }

  list(): Record<string, unknown>[] {
    return [...this.presets.values()];
  }

  get(name: string): Record<string, unknown> | undefined {
    return this.presets.get(name);
  }

  /** Deep-merges `patch` into the preset, validates the result and writes it atomically. */
  update(name: string, patch: Record<string, unknown>): PresetUpdate {
    const current = this.presets.get(name);
    if (!current) return { ok: false, code: 'not_found', message: `Preset '${name}' not found` };
    if (patch.name !== undefined && patch.name !== name) {
      return { ok: false, code: 'invalid', message: `name cannot be changed ("${String(patch.name)}" != "${name}")` };
    }
    const next = deepMerge(structuredClone(current), patch);
    const problems = this.validate(next);
    if (problems.length > 0) return { ok: false, code: 'invalid', message: problems.join('; ') };
    const path = join(this.dir, `${name}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(tmp, path);
    this.presets.set(name, next);
    return { ok: true, preset: next };
  }
}

function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const cur = target[k];
    if (isObject(v) && isObject(cur)) deepMerge(cur, v);
    else target[k] = v;
  }
  return target;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
