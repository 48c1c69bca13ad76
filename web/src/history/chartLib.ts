// lightweight-charts is loaded on demand (its own chunk), not with the first page.
export const loadCharts = () => import('lightweight-charts');
export type ChartsLib = Awaited<ReturnType<typeof loadCharts>>;

/** The theme's colours (CSS variables of theme.css) for a chart, read when it is created. */
export function chartColors(el: Element) {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--panel', '#0f141b'),
    text: v('--muted', '#8b98a9'),
    grid: v('--grid', '#1a222d'),
    border: v('--line', '#26303d'),
    pos: v('--pos', '#26a69a'),
    neg: v('--neg', '#ef5350'),
    accent: v('--accent', '#3d8bfd'),
    warn: v('--warn', '#f0b429'),
  };
}
