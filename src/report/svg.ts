/**
 * Inline SVG charts for the report: line charts (linear or log y) and a heatmap with a log
 * colour scale. Pure string building, no DOM and no script: the report stays one static file
 * that renders anywhere. Hovering a series or cell shows its values (SVG <title>).
 *
 * Geometry: a chart is W x Hgt pixels with margins for axes; data are mapped linearly (or by
 * log10) into the plot box. Series longer than 800 points are thinned (every k-th point kept).
 */
import { esc, fmt } from './escape.js';

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** Draw points only (events). */
  markers?: boolean;
  /** Draw the line and a dot at each point (sweeps over a few sizes). */
  dots?: boolean;
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  /** Log-scale x axis (sizes, parameter counts, compute). */
  logX?: boolean;
  width?: number;
  height?: number;
  /** Horizontal reference lines (e.g. rho = 1, the baseline loss). */
  hlines?: { y: number; label: string }[];
  /** Vertical reference lines (e.g. the step where sigma_max crossed 1). */
  vlines?: { x: number; label: string }[];
}

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

const M = { l: 58, r: 12, t: 26, b: 38 };

/** About 5 round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n,
    p = 10 ** Math.floor(Math.log10(raw)),
    m = raw / p;
  const step = (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1 ? 2 : 1) * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Mantissas tried in turn for log-axis ticks, until the axis holds at least 3 labelled ticks. */
const LOG_MANTISSAS = [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]];

/**
 * Labelled ticks of a log axis spanning [lo, hi] (values, not exponents): every decade when the
 * axis spans many, else 1-2-5 or finer mantissas (up to 5 ticks), so that an axis from 0.15 to
 * 0.3 reads 0.15, 0.2, 0.25, 0.3 rather than no label at all. At most `max` ticks (every k-th decade when more).
 */
export function logTicks(lo: number, hi: number, max = 8): number[] {
  if (!(lo > 0 && hi >= lo)) return [];
  const a = Math.floor(Math.log10(lo)),
    b = Math.ceil(Math.log10(hi));
  const inRange = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  let best: number[] = [];
  for (const ms of LOG_MANTISSAS) {
    const ticks: number[] = [];
    for (let e = a; e <= b; e++)
      for (const m of ms) {
        const v = Number((m * 10 ** e).toPrecision(6));
        if (inRange(v)) ticks.push(v);
      }
    if (ticks.length > max) break;
    best = ticks;
    if (ticks.length >= 5) break;
  }
  if (best.length === 0) {
    // more decades than `max`: every k-th decade
    const k = Math.ceil((b - a + 1) / max);
    for (let e = a; e <= b; e++) if ((e - a) % k === 0 && inRange(10 ** e)) best.push(10 ** e);
  }
  if (best.length < 2) best = niceTicks(lo, hi, 6).filter((v) => v > 0); // a narrow axis: linear steps
  return best;
}

/** An axis label: plain decimals from 0.001 to 99,999 (0.15, 2, 300), else 2e-5. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential(1).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** Legend rows below a plot (never over the data): items flow left to right, wrapping at the width. */
function legend(items: { name: string; color: string; dashed?: boolean; markers?: boolean }[], W: number, y0: number) {
  let x = M.l,
    y = y0,
    out = '';
  for (const it of items) {
    const w = 24 + Math.min(60, it.name.length) * 5.6 + 12;
    if (x + w > W - 4 && x > M.l) {
      x = M.l;
      y += 14;
    }
    const mark = it.markers
      ? `<circle cx="7" cy="-4" r="2.5" fill="${it.color}"/>`
      : `<line x1="0" x2="14" y1="-4" y2="-4" stroke="${it.color}" ` +
        `stroke-width="2"${it.dashed ? ' stroke-dasharray="4 2"' : ''}/>`;
    const name = it.name.length > 60 ? `${it.name.slice(0, 59)}…` : it.name;
    out +=
      `<g transform="translate(${x.toFixed(1)} ${y})">${mark}<text x="18" y="0" ` +
      `class="lg">${esc(name)}</text></g>`;
    x += w;
  }
  return { svg: out, height: items.length ? y - y0 + 16 : 0 };
}

/** Height of the legend rows for these names at width W (the same flow as `legend`). */
function legendHeight(names: string[], W: number): number {
  return legend(
    names.map((name) => ({ name, color: '' })),
    W,
    0,
  ).height;
}

function thin(p: [number, number][], max = 800): [number, number][] {
  if (p.length <= max) return p;
  const k = Math.ceil(p.length / max);
  return p.filter((_, i) => i % k === 0 || i === p.length - 1);
}

function frame(W: number, Hg: number, title: string, body: string, xLabel = '', yLabel = '', plotH = Hg): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${Hg}" viewBox="0 0 ${W} ` +
    `${Hg}" role="img" aria-label="${esc(title)}">` +
    `<rect x="0" y="0" width="${W}" height="${Hg}" fill="#fff"/>` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="ct">${esc(title)}</text>` +
    body +
    (xLabel
      ? `<text x="${M.l + (W - M.l - M.r) / 2}" y="${plotH - 6}" text-anchor="middle" class="al">${esc(xLabel)}</text>`
      : '') +
    (yLabel
      ? `<text transform="translate(12 ${M.t + (plotH - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle" ` +
        `class="al">${esc(yLabel)}</text>`
      : '') +
    '</svg>'
  );
}

export function lineChart(series: Series[], o: LineChartOptions): string {
  const W = o.width ?? 460,
    ph = (o.height ?? 250) - M.t - M.b,
    pw = W - M.l - M.r;
  const ty = (y: number) => (o.logY ? Math.log10(y) : y);
  const tx = (x: number) => (o.logX ? Math.log10(x) : x);
  const keep = (p: [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!o.logY || p[1] > 0) && (!o.logX || p[0] > 0);
  const data = series.map((s) => ({ ...s, points: thin(s.points.filter(keep)) })).filter((s) => s.points.length > 0);
  const Hg =
    M.t +
    ph +
    M.b +
    legendHeight(
      data.map((d) => d.name),
      W,
    );
  if (!data.length)
    return frame(W, Hg, o.title, `<text x="${W / 2}" y="${Hg / 2}" text-anchor="middle" class="al">no data</text>`);
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const s of data)
    for (const [x, y] of s.points) {
      x0 = Math.min(x0, tx(x));
      x1 = Math.max(x1, tx(x));
      y0 = Math.min(y0, ty(y));
      y1 = Math.max(y1, ty(y));
    }
  for (const h of o.hlines ?? [])
    if (!o.logY || h.y > 0) {
      y0 = Math.min(y0, ty(h.y));
      y1 = Math.max(y1, ty(h.y));
    }
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  if (y1 === y0) {
    y0 -= o.logY ? 0.5 : Math.abs(y0) * 0.1 || 1;
    y1 += o.logY ? 0.5 : Math.abs(y1) * 0.1 || 1;
  }
  const pad = (y1 - y0) * 0.04;
  y0 -= pad;
  y1 += pad;
  const Xt = (v: number) => M.l + ((v - x0) / (x1 - x0)) * pw; // v already transformed
  const X = (x: number) => Xt(tx(x));
  const Y = (y: number) => M.t + ph - ((ty(y) - y0) / (y1 - y0)) * ph;
  const Yt = (v: number) => M.t + ph - ((v - y0) / (y1 - y0)) * ph; // v already transformed
  let body = `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
  const xt = o.logX ? logTicks(10 ** x0, 10 ** x1).map((v) => Math.log10(v)) : niceTicks(x0, x1);
  for (const v of xt) {
    const px = Xt(v).toFixed(1);
    body +=
      `<line x1="${px}" x2="${px}" y1="${M.t + ph}" y2="${M.t + ph + 4}" stroke="#999"/>` +
      `<text x="${px}" y="${M.t + ph + 15}" text-anchor="middle" class="tk">${tickLabel(o.logX ? 10 ** v : v)}</text>`;
  }
  // Log axes label values (0.15, 0.2, 0.3), not exponents; transformed positions for both kinds.
  const yt = o.logY ? logTicks(10 ** y0, 10 ** y1).map((v) => Math.log10(v)) : niceTicks(y0, y1);
  for (const v of yt) {
    const py = Yt(v).toFixed(1);
    body +=
      `<line x1="${M.l}" x2="${M.l + pw}" y1="${py}" y2="${py}" stroke="#eee"/>` +
      `<text x="${M.l - 4}" y="${py}" dy="0.32em" text-anchor="end" ` +
      `class="tk">${tickLabel(o.logY ? 10 ** v : v)}</text>`;
  }
  for (const h of o.hlines ?? []) {
    if (o.logY && !(h.y > 0)) continue;
    const py = Y(h.y).toFixed(1);
    body +=
      `<line x1="${M.l}" x2="${M.l + pw}" y1="${py}" y2="${py}" stroke="#555" stroke-dasharray="2 3"/>` +
      `<text x="${M.l + pw - 2}" y="${py}" dy="-0.3em" text-anchor="end" class="tk">${esc(h.label)}</text>`;
  }
  const dot = (x: number, y: number) => `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.6"/>`;
  for (const v of o.vlines ?? []) {
    if ((o.logX && !(v.x > 0)) || !Number.isFinite(v.x)) continue;
    const px = X(v.x);
    if (px < M.l - 0.5 || px > M.l + pw + 0.5) continue;
    body +=
      `<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${M.t}" y2="${M.t + ph}" stroke="#555" ` +
      `stroke-dasharray="2 3"/><text x="${(px + 2).toFixed(1)}" y="${M.t + ph - 4}" class="tk">${esc(v.label)}</text>`;
  }
  data.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length]!;
    const tip =
      `<title>${esc(s.name)}: ${s.points.length} points, last (${fmt(s.points.at(-1)![0])}, ` +
      `${fmt(s.points.at(-1)![1])})</title>`;
    if (s.markers) {
      const dots = s.points.map(([x, y]) => `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.2"/>`);
      body += `<g fill="${c}">${tip}${dots.join('')}</g>`;
    } else {
      const d = s.points.map(([x, y], k) => `${k ? 'L' : 'M'}${X(x).toFixed(1)} ${Y(y).toFixed(1)}`).join('');
      body +=
        `<path d="${d}" fill="none" stroke="${c}" ` +
        `stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}>${tip}</path>`;
      // A series of one point (a run solved at its first check) draws no line: show the point.
      if (s.dots || s.points.length === 1) body += `<g fill="${c}">${s.points.map(([x, y]) => dot(x, y)).join('')}</g>`;
    }
  });
  const items = data.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  body += legend(items, W, M.t + ph + M.b + 6).svg;
  return frame(W, Hg, o.title, body, o.xLabel, o.yLabel, M.t + ph + M.b);
}

/** Colour of u in [0, 1] on a viridis-like ramp (dark blue: small, yellow: large). */
export function ramp(u: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, u)) * (stops.length - 1),
    i = Math.min(stops.length - 2, Math.floor(x)),
    f = x - i;
  const c = stops[i]!.map((a, k) => Math.round(a + f * (stops[i + 1]![k]! - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * Keeps a heatmap small: at most 60 rows (picked evenly, the last kept) and 100 columns
 * (adjacent time steps merged by their geometric mean, the natural mean on a log scale).
 */
function shrink(
  values: (number | null)[][],
  rowLabels: number[],
): { values: (number | null)[][]; rowLabels: number[]; g: number } {
  let idx = values.map((_, i) => i);
  if (idx.length > 60) {
    const k = (idx.length - 1) / 59;
    idx = Array.from({ length: 60 }, (_, i) => Math.round(i * k));
  }
  const C = Math.max(0, ...values.map((r) => r.length)),
    g = Math.ceil(C / 100);
  const rows = idx.map((i) => {
    const r = values[i]!;
    if (g <= 1) return r;
    const out: (number | null)[] = [];
    for (let c = 0; c < C; c += g) {
      let s = 0,
        n = 0;
      for (let k = c; k < Math.min(C, c + g); k++) {
        const v = r[k];
        if (v !== null && v !== undefined && v > 0 && Number.isFinite(v)) {
          s += Math.log(v);
          n++;
        }
      }
      out.push(n ? Math.exp(s / n) : null);
    }
    return out;
  });
  return { values: rows, rowLabels: idx.map((i) => rowLabels[i]!), g: Math.max(1, g) };
}

export interface HeatmapOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** What a grey cell (no positive finite value) means here; shown under the map when there is one. */
  grey?: string;
}

/**
 * Heatmap of values[row][col] (rows: training steps `rowLabels`, top = first; cols: time steps
 * 1..C) coloured by log10 of the value; non-positive or missing cells are grey.
 */
export function heatmap(values: (number | null)[][], rowLabels: number[], o: HeatmapOptions): string {
  let g: number;
  ({ values, rowLabels, g } = shrink(values, rowLabels));
  const W = o.width ?? 460,
    legendW = 62,
    pw = W - M.l - M.r - legendW,
    ph = (o.height ?? 250) - M.t - M.b;
  const R = values.length,
    C = Math.max(0, ...values.map((r) => r.length));
  const good = (v: number | null | undefined): v is number =>
    v !== null && v !== undefined && v > 0 && Number.isFinite(v);
  const greys = values.some((r) => r.length < C || r.some((v) => !good(v)));
  const Hg = M.t + ph + M.b + (greys ? 18 : 0);
  if (!R || !C)
    return frame(W, Hg, o.title, `<text x="${W / 2}" y="${Hg / 2}" text-anchor="middle" class="al">no data</text>`);
  let lo = Infinity,
    hi = -Infinity;
  for (const r of values)
    for (const v of r)
      if (good(v)) {
        lo = Math.min(lo, Math.log10(v));
        hi = Math.max(hi, Math.log10(v));
      }
  if (!(hi >= lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const cw = pw / C,
    rh = ph / R;
  let body = '';
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = values[r]![c] ?? null;
      const fill = good(v) ? ramp((Math.log10(v) - lo) / (hi - lo)) : GREY;
      const t = g > 1 ? `${c * g + 1}-${(c + 1) * g}` : c + 1;
      body +=
        `<rect x="${(M.l + c * cw).toFixed(2)}" y="${(M.t + r * rh).toFixed(2)}" width="${(cw + 0.5).toFixed(2)}" ` +
        `height="${(rh + 0.5).toFixed(2)}" fill="${fill}"><title>step ${fmt(rowLabels[r], 8)}, t=${t}: ` +
        `${fmt(v)}</title></rect>`;
    }
  }
  body += `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
  for (const t of niceTicks(1, C * g, 5))
    if (Number.isInteger(t))
      body +=
        `<text x="${(M.l + ((t - 0.5) / g) * cw).toFixed(1)}" y="${M.t + ph + 15}" text-anchor="middle" ` +
        `class="tk">${t}</text>`;
  const every = Math.max(1, Math.ceil(R / 6));
  for (let r = 0; r < R; r += every)
    body +=
      `<text x="${M.l - 4}" y="${(M.t + (r + 0.5) * rh).toFixed(1)}" dy="0.32em" text-anchor="end" ` +
      `class="tk">${fmt(rowLabels[r], 6)}</text>`;
  // Colour bar: log scale from lo (bottom) to hi (top), labelled with values.
  const lx = M.l + pw + 10,
    steps = 24;
  for (let k = 0; k < steps; k++)
    body +=
      `<rect x="${lx}" y="${(M.t + (ph * k) / steps).toFixed(2)}" width="12" ` +
      `height="${(ph / steps + 0.5).toFixed(2)}" fill="${ramp(1 - k / (steps - 1))}"/>`;
  const by = (v: number) => M.t + ph - ((Math.log10(v) - lo) / (hi - lo)) * ph;
  for (const v of logTicks(10 ** lo, 10 ** hi, 6))
    body +=
      `<line x1="${lx + 12}" x2="${lx + 15}" y1="${by(v).toFixed(1)}" y2="${by(v).toFixed(1)}" stroke="#555"/>` +
      `<text x="${lx + 17}" y="${by(v).toFixed(1)}" dy="0.32em" class="tk">${tickLabel(v)}</text>`;
  if (greys)
    body +=
      `<rect x="${M.l}" y="${M.t + ph + M.b + 2}" width="12" height="10" fill="${GREY}"/>` +
      `<text x="${M.l + 16}" y="${M.t + ph + M.b + 11}" class="lg">grey: ` +
      `${esc(o.grey ?? 'no value (zero, missing or not finite)')}</text>`;
  return frame(W, Hg, o.title, body, o.xLabel, o.yLabel, M.t + ph + M.b);
}

const GREY = '#ccc';
