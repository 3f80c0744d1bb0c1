import { html, type Html } from './html.js';

export interface Series {
  name: string;
  /** CSS class that colours its bars (the page's style sheet). */
  cls: string;
  values: number[];
}

export interface BarChart {
  title: string;
  /** One label per bar slot, YYYY-MM-DD. */
  days: string[];
  series: Series[];
  /** Stacked: one bar per day, series on top of each other; otherwise side by side. */
  stacked: boolean;
  format: (v: number) => string;
}

// viewBox units; the SVG scales to its box's width, text with it.
const W = 400;
const H = 190;
const LEFT = 52;
const RIGHT = 6;
const TOP = 10;
const BOTTOM = 22;
const PLOT_W = W - LEFT - RIGHT;
const PLOT_H = H - TOP - BOTTOM;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The axis: a step of 1, 2 or 5 × 10^k giving at most four intervals, and the top it reaches. 0 data: 0..1. */
export function axis(max: number): { step: number; top: number } {
  if (!(max > 0)) return { step: 0.25, top: 1 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { step, top: Math.ceil(max / step - 1e-9) * step };
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const shortDay = (d: string) => `${MONTHS[Number(d.slice(5, 7)) - 1] ?? '?'} ${Number(d.slice(8, 10))}`;

/** An inline SVG bar chart, no script: each bar carries a <title> the browser shows on hover. */
export function barChart(c: BarChart): Html {
  const n = c.days.length;
  const totals = c.days.map((_, i) => c.series.map((s) => s.values[i] ?? 0));
  const max = Math.max(0, ...totals.flatMap((t) => (c.stacked ? [t.reduce((a, b) => a + b, 0)] : t)));
  const { step, top } = axis(max);
  const y = (v: number) => TOP + PLOT_H - (v / top) * PLOT_H;
  const slot = n ? PLOT_W / n : PLOT_W;
  const ticks: Html[] = [];
  for (let j = 0; j * step <= top + step / 2; j++) {
    const v = j * step;
    ticks.push(
      html`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${r1(y(v))}" y2="${r1(y(v))}"/><text class="tick" x="${LEFT - 4}" y="${r1(y(v) + 3.5)}" text-anchor="end">${c.format(v)}</text>`,
    );
  }
  const every = Math.max(1, Math.ceil(n / 7));
  const bars: Html[] = [];
  const labels: Html[] = [];
  c.days.forEach((day, i) => {
    const x0 = LEFT + i * slot;
    let base = 0;
    c.series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const bw = c.stacked ? slot * 0.7 : (slot * 0.8) / c.series.length;
      const x = c.stacked ? x0 + slot * 0.15 : x0 + slot * 0.1 + k * bw;
      const from = c.stacked ? base : 0;
      base += v;
      const h = Math.max(0.5, y(from) - y(from + v));
      bars.push(
        html`<rect class="${s.cls}" x="${r1(x)}" y="${r1(y(from) - h)}" width="${r1(Math.max(1, bw - 0.6))}" height="${r1(h)}"><title>${shortDay(day)}: ${s.name} ${c.format(v)}</title></rect>`,
      );
    });
    if ((n - 1 - i) % every === 0) {
      // The last label ends at the plot's edge instead of running past it.
      const last = i === n - 1;
      labels.push(
        html`<text class="tick" x="${r1(last ? W - RIGHT : x0 + slot / 2)}" y="${H - 6}" text-anchor="${last ? 'end' : 'middle'}">${shortDay(day)}</text>`,
      );
    }
  });
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${c.title}"><title>${c.title}</title>${ticks}<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H}"/>${bars}${labels}</svg>`;
}
