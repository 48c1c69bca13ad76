import { useState } from 'react';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The key path a server refusal names ("risk.risk_per_trade: must be <= 0.05"), if any. */
export function refusedPath(message: string | null | undefined): string | null {
  const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*:/.exec(message ?? '');
  return m?.[1] ?? null;
}

function setIn(obj: Obj, path: string[], value: Json): Obj {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return { ...obj, [head]: value };
  const child = obj[head];
  return { ...obj, [head]: setIn(isObj(child) ? child : {}, rest, value) };
}

const label = (key: string) => key.replace(/_/g, ' ');

/**
 * The preset as a form: a field per setting, grouped by section. The field the server refused
 * (its message names the key path) or that does not hold a number is marked and described.
 */
export function PresetForm({ value, onChange, refused }: { value: Obj; onChange: (next: Obj) => void; refused: { path: string; message: string } | null }) {
  // Text typed into a number field that is not a number yet, by key path (kept out of the JSON).
  const [drafts, setDrafts] = useState<Record<string, string>>({});

  const field = (path: string[], v: Json) => {
    const id = path.join('.');
    const bad = refused?.path === id ? refused.message : drafts[id] !== undefined ? 'not a number' : null;
    const common = { name: id, 'aria-invalid': bad ? true : undefined, className: bad ? 'invalid' : undefined, 'data-field': id };
    let input;
    if (typeof v === 'boolean') input = <input type="checkbox" {...common} checked={v} onChange={(e) => onChange(setIn(value, path, e.target.checked))} />;
    else if (typeof v === 'number')
      input = (
        <input
          type="text"
          inputMode="decimal"
          {...common}
          value={drafts[id] ?? String(v)}
          onChange={(e) => {
            const raw = e.target.value;
            const n = raw.trim() === '' ? Number.NaN : Number(raw);
            setDrafts((d) => {
              const { [id]: _gone, ...rest } = d;
              return Number.isFinite(n) ? rest : { ...rest, [id]: raw };
            });
            if (Number.isFinite(n)) onChange(setIn(value, path, n));
          }}
        />
      );
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      input = <input type="text" {...common} value={v.join(', ')} onChange={(e) => onChange(setIn(value, path, e.target.value.split(',').map((s) => s.trim()).filter(Boolean)))} />;
    else if (typeof v === 'string') input = <input type="text" {...common} value={v} onChange={(e) => onChange(setIn(value, path, e.target.value))} />;
    else return null; // other shapes are edited in the JSON below
    return (
      <label key={id} className={typeof v === 'boolean' ? 'check' : undefined}>
        {label(path[path.length - 1] ?? id)}
        {input}
        {bad && (
          <span className="field-error" role="alert" data-testid="preset-field-error">
            {bad}
          </span>
        )}
      </label>
    );
  };

  const leaves = Object.entries(value).filter(([, v]) => !isObj(v));
  const sections = Object.entries(value).filter((e): e is [string, Obj] => isObj(e[1]));
  return (
    <form className="form preset-form" data-testid="preset-form" onSubmit={(e) => e.preventDefault()}>
      <div className="fields">{leaves.map(([k, v]) => field([k], v))}</div>
      {sections.map(([k, section]) => (
        <fieldset key={k}>
          <legend>{label(k)}</legend>
          <div className="fields">{Object.entries(section).map(([k2, v]) => (isObj(v) ? Object.entries(v).map(([k3, v3]) => field([k, k2, k3], v3)) : field([k, k2], v)))}</div>
        </fieldset>
      ))}
    </form>
  );
}
