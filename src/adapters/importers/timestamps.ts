/**
 * Timestamp forms accepted by the importers, all read as UTC milliseconds since the epoch:
 * - epoch digits, unit by length: <= 10 digits seconds (a fraction allowed: 1704067200.5),
 *   11-13 milliseconds, 14-16 microseconds, 17+ nanoseconds (truncated to the millisecond);
 * - ISO 8601 `2024-01-02T03:04:05.678Z`, with `Z`, `+hh:mm` or no zone (UTC);
 * - `2024-01-02 03:04:05.678` (any number of fraction digits), `2024-01-02 03:04:05`,
 *   `20240102 030405[ fffffff]` and `20240102 03:04:05` (NinjaTrader-style), `01/02/2024 03:04:05.678`
 *   (US month/day/year), and a date alone `2024-01-02` (daily bars).
 * Returns NaN when the text is none of these.
 */
export class TimestampParser {
  // The date part changes rarely between rows; its epoch day is cached.
  private lastDate = '';
  private lastDayMs = 0;

  parse(s: string): number {
    const len = s.length;
    if (len === 0) return NaN;
    const c0 = s.charCodeAt(0);
    // Fast path: 'YYYY-MM-DD HH:MM:SS[.fff]' or with 'T'.
    if (len >= 19 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
      const sep = s.charCodeAt(10);
      if (sep === 32 || sep === 84) {
        const day = this.day(s.slice(0, 10));
        const h = d2(s, 11), m = d2(s, 14), sec = d2(s, 17);
        if (Number.isNaN(day) || h > 23 || m > 59 || sec > 60 || h < 0 || m < 0 || sec < 0) return NaN;
        let ms = day + h * 3_600_000 + m * 60_000 + sec * 1000;
        if (len === 19) return ms;
        let i = 19;
        if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
          i++;
          let frac = 0, scale = 100, digits = 0;
          while (i < len) {
            const d = s.charCodeAt(i) - 48;
            if (d < 0 || d > 9) break;
            if (scale >= 1) frac += d * scale;
            scale /= 10;
            i++;
            digits++;
          }
          if (digits === 0) return NaN;
          ms += Math.floor(frac);
        }
        if (i === len) return ms;
        const zone = s.slice(i);
        if (zone === 'Z' || zone === 'z') return ms;
        const off = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
        if (!off) return NaN;
        const minutes = Number(off[2]) * 60 + Number(off[3]);
        return off[1] === '+' ? ms - minutes * 60_000 : ms + minutes * 60_000;
      }
    }
    if (c0 >= 48 && c0 <= 57) {
      let allDigits = true;
      for (let i = 1; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) {
          allDigits = false;
          break;
        }
      }
      if (allDigits) return epochDigits(s);
    }
    return this.slow(s);
  }

  private day(date: string): number {
    if (date === this.lastDate) return this.lastDayMs;
    const y = Number(date.slice(0, 4)), mo = Number(date.slice(5, 7)), d = Number(date.slice(8, 10));
    const ms = validDate(y, mo, d) ? Date.UTC(y, mo - 1, d) : NaN;
    this.lastDate = date;
    this.lastDayMs = ms;
    return ms;
  }

  private slow(raw: string): number {
    const s = raw.trim();
    if (s !== raw) return this.parse(s);
    if (/^\d+\.\d+$/.test(s)) {
      // Fractional epoch seconds (or ms with a fraction, by magnitude).
      const v = Number(s);
      return v < 1e11 ? Math.floor(v * 1000) : Math.floor(v);
    }
    let m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2}):?(\d{2})(?:[., ](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
    let y: number, mo: number, d: number;
    if (m) {
      y = Number(m[1]);
      mo = Number(m[2]);
      d = Number(m[3]);
    } else {
      m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
      if (!m) return NaN;
      y = Number(m[3]);
      mo = Number(m[1]);
      d = Number(m[2]);
    }
    if (!validDate(y, mo, d)) return NaN;
    const h = Number(m[4] ?? 0), mi = Number(m[5] ?? 0), sec = Number(m[6] ?? 0);
    if (h > 23 || mi > 59 || sec > 60) return NaN;
    const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    let ms = Date.UTC(y, mo - 1, d, h, mi, sec) + frac;
    const zone = m[8];
    if (zone && zone.toUpperCase() !== 'Z') {
      const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
      if (!z) return NaN;
      const minutes = Number(z[2]) * 60 + Number(z[3]);
      ms += z[1] === '+' ? -minutes * 60_000 : minutes * 60_000;
    }
    return ms;
  }
}

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

export function validDate(y: number, mo: number, d: number): boolean {
  return y >= 1970 && y <= 2200 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

/** Epoch digits, unit by length (see TimestampParser); 8 digits starting 19/20 are YYYYMMDD. */
export function epochDigits(s: string): number {
  const len = s.length;
  if (len === 8 && (s.startsWith('19') || s.startsWith('20'))) {
    // YYYYMMDD: epoch seconds with 8 digits would be 1970-1973, which no market file holds.
    const y = Number(s.slice(0, 4)), mo = Number(s.slice(4, 6)), d = Number(s.slice(6, 8));
    return validDate(y, mo, d) ? Date.UTC(y, mo - 1, d) : NaN;
  }
  if (len <= 10) return Number(s) * 1000;
  if (len <= 13) return Number(s);
  if (len <= 16) return Math.floor(Number(s) / 1000);
  return Number(s.slice(0, len - 6));
}

/** A date without a time of day ('2024-01-02', '20240102', '01/02/2024'). */
export const isDateOnly = (s: string): boolean => /^(\d{4}-\d{2}-\d{2}|\d{8}|\d{1,2}\/\d{1,2}\/\d{4})$/.test(s.trim());
/** A time of day ('09:30:00', '09:30:00.123', '093000'). */
export const isTimeOnly = (s: string): boolean => /^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?$/.test(s.trim());
