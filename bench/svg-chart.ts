// A minimal SVG line chart for the benchmark curves under docs/bench/ (hand-written: a plotting
// library would pull a browser or a canvas binary into the bench for a few polylines).
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const tick = (v: number) => (Number.isInteger(v) || Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3));

export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number; logX?: boolean }): string {
  const width = o.width ?? 720;
  const height = o.height ?? 360;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const all = o.series.flatMap((s) => s.points);
  const fx = (x: number) => (o.logX ? Math.log10(x) : x);
  const xs = all.map((p) => fx(p.x));
  const ys = all.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys) * 1.05 || 1];
  const px = (x: number) => m.left + ((fx(x) - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const py = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return `<line x1="${m.left}" x2="${width - m.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e7eb"/><text x="${m.left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${tick(y)}</text>`;
  });
  const xTicks = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(xTicks.length / 8));
  const xLabels = xTicks.filter((_, i) => i % step === 0).map((x) => `<text x="${px(x)}" y="${height - m.bottom + 16}" text-anchor="middle" font-size="11">${tick(x)}</text>`);
  const lines = o.series.map((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    const dots = s.points.length <= 20 ? s.points.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${color}"/>`).join('') : '';
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>${dots}<text x="${width - m.right - 4}" y="${m.top + 14 * (i + 1)}" text-anchor="end" font-size="12" fill="${color}">${esc(s.name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
    ...grid,
    ...xLabels,
    `<text x="${width / 2}" y="${height - 12}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>`,
    `<text x="16" y="${height / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${height / 2})">${esc(o.yLabel)}</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}
