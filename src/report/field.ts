/**
 * A map of a function of two parameters (a loss surface) as an SVG heat map, with paths drawn
 * over it (gradient-descent trajectories) and labelled points. values[i][j] is the value at
 * (x = xs[j], y = ys[i]); colour is log10 of the value (or the value itself with `linear`).
 * Paths are clipped to the plot box; a path that leaves the box gets an arrow at the exit so a
 * trajectory thrown off the map is still seen to go.
 */
import { esc, fmt } from './escape.js';
import { niceTicks, ramp } from './svg.js';

export interface FieldPath {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
  /** Points to mark on the path (e.g. where sigma_max crossed 1). */
  marks?: { at: [number, number]; label: string }[];
}

export interface FieldMapOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  linear?: boolean;
  /** Vertical lines at these x (e.g. w = 1). */
  vlines?: { x: number; label: string }[];
  /** Draw at most this many cells per axis (every k-th grid point; default 121): keeps the page small. */
  maxCells?: number;
  /** A thinned cell shows its block's first value ('pick', default) or its largest ('max': keeps thin walls). */
  pool?: 'pick' | 'max';
}

const M = { l: 52, r: 60, t: 26, b: 38 };

export function fieldMap(
  xs: readonly number[],
  ys: readonly number[],
  values: readonly (readonly number[])[],
  paths: FieldPath[],
  o: FieldMapOptions,
): string {
  const step = (n: number) => Math.max(1, Math.ceil(n / (o.maxCells ?? 121)));
  const kx = step(xs.length),
    ky = step(ys.length);
  const keep = (n: number, k: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % k === 0);
  const ci = keep(xs.length, kx),
    ri = keep(ys.length, ky);
  const cell = (i: number, j: number) => {
    if (o.pool !== 'max') return values[i]![j]!;
    let m = -Infinity;
    for (let a = i; a < Math.min(ys.length, i + ky); a++)
      for (let b = j; b < Math.min(xs.length, j + kx); b++) if (values[a]![b]! > m) m = values[a]![b]!;
    return m;
  };
  const gx = ci.map((j) => xs[j]!),
    gy = ri.map((i) => ys[i]!),
    gv = ri.map((i) => ci.map((j) => cell(i, j)));
  const W = o.width ?? 520,
    Hg = o.height ?? 420,
    pw = W - M.l - M.r,
    ph = Hg - M.t - M.b;
  const x0 = xs[0]!,
    x1 = xs.at(-1)!,
    y0 = ys[0]!,
    y1 = ys.at(-1)!;
  const X = (x: number) => M.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => M.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const tv = (v: number) => (o.linear ? v : Math.log10(v));
  let lo = Infinity,
    hi = -Infinity;
  for (const r of gv)
    for (const v of r)
      if (Number.isFinite(v) && (o.linear || v > 0)) {
        lo = Math.min(lo, tv(v));
        hi = Math.max(hi, tv(v));
      }
  if (!(hi > lo)) hi = lo + 1;
  const cw = pw / gx.length,
    rh = ph / gy.length;
  let body = '';
  for (let i = 0; i < gy.length; i++)
    for (let j = 0; j < gx.length; j++) {
      const v = gv[i]![j]!;
      const ok = Number.isFinite(v) && (o.linear || v > 0);
      const fill = ok ? ramp((tv(v) - lo) / (hi - lo)) : '#ccc';
      body +=
        `<rect x="${(M.l + j * cw).toFixed(1)}" y="${(M.t + ph - (i + 1) * rh).toFixed(1)}" ` +
        `width="${(cw + 0.5).toFixed(1)}" height="${(rh + 0.5).toFixed(1)}" fill="${fill}"/>`;
    }
  body += `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
  for (const v of niceTicks(x0, x1))
    body += `<text x="${X(v).toFixed(1)}" y="${M.t + ph + 15}" text-anchor="middle" class="tk">${fmt(v, 3)}</text>`;
  for (const v of niceTicks(y0, y1))
    body += `<text x="${M.l - 4}" y="${Y(v).toFixed(1)}" dy="0.32em" text-anchor="end" class="tk">${fmt(v, 3)}</text>`;
  for (const v of o.vlines ?? [])
    if (v.x >= x0 && v.x <= x1)
      body +=
        `<line x1="${X(v.x).toFixed(1)}" x2="${X(v.x).toFixed(1)}" y1="${M.t}" y2="${M.t + ph}" ` +
        `stroke="#fff" stroke-dasharray="3 3"/><text x="${(X(v.x) + 3).toFixed(1)}" y="${M.t + 10}" ` +
        `class="tk" fill="#fff">${esc(v.label)}</text>`;
  const clipId = `clip${Math.round(Math.abs(x0 * 997 + y1 * 131 + W))}`;
  body += `<clipPath id="${clipId}"><rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}"/></clipPath>`;
  const inside = ([x, y]: [number, number]) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  paths.forEach((p, k) => {
    const pts = p.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)} ${Y(y).toFixed(1)}`).join('');
    const dash = p.dashed ? ' stroke-dasharray="5 3"' : '';
    body +=
      `<g clip-path="url(#${clipId})"><path d="${d}" fill="none" stroke="${p.color}" stroke-width="1.8"${dash}>` +
      `<title>${esc(p.name)}</title></path>`;
    body +=
      `<circle cx="${X(pts[0]![0]).toFixed(1)}" cy="${Y(pts[0]![1]).toFixed(1)}" r="3.5" ` +
      `fill="none" stroke="${p.color}" stroke-width="1.5"/>`;
    if (inside(pts.at(-1)!))
      body +=
        `<circle cx="${X(pts.at(-1)![0]).toFixed(1)}" cy="${Y(pts.at(-1)![1]).toFixed(1)}" ` +
        `r="3" fill="${p.color}"/>`;
    for (const m of p.marks ?? [])
      body +=
        `<path d="M${(X(m.at[0]) - 4).toFixed(1)} ${(Y(m.at[1]) - 4).toFixed(1)}l8 8m0 ` +
        `-8l-8 8" stroke="${p.color}" stroke-width="2"><title>${esc(m.label)}</title></path>`;
    body += '</g>';
    // Where the path first leaves the map: an arrow on the border, pointing outwards.
    const exit = pts.findIndex((q, i) => i > 0 && inside(pts[i - 1]!) && !inside(q));
    if (exit > 0) {
      const [ax, ay] = pts[exit - 1]!,
        [bx, by] = pts[exit]!;
      let t = 1;
      if (bx > x1) t = Math.min(t, (x1 - ax) / (bx - ax));
      if (bx < x0) t = Math.min(t, (x0 - ax) / (bx - ax));
      if (by > y1) t = Math.min(t, (y1 - ay) / (by - ay));
      if (by < y0) t = Math.min(t, (y0 - ay) / (by - ay));
      const ex = X(ax + t * (bx - ax)),
        ey = Y(ay + t * (by - ay)),
        ang = Math.atan2(Y(by) - Y(ay), X(bx) - X(ax));
      const tip = (a: number, r: number) =>
        `${(ex - r * Math.cos(ang + a)).toFixed(1)} ${(ey - r * Math.sin(ang + a)).toFixed(1)}`;
      body +=
        `<path d="M${tip(0.45, 10)}L${ex.toFixed(1)} ${ey.toFixed(1)}L${tip(-0.45, 10)}" ` +
        `fill="none" stroke="${p.color}" stroke-width="2.5"><title>${esc(p.name)} leaves the ` +
        `map at step ${exit} towards (${fmt(bx)}, ${fmt(by)})</title></path>`;
    }
    if (p.name)
      body +=
        `<g transform="translate(${M.l + 6} ${M.t + 14 + 13 * k})"><rect x="-3" y="-10" ` +
        `width="${8 + 6 * p.name.length}" height="13" fill="#fff" opacity="0.75"/><line x1="0" ` +
        `x2="14" y1="-4" y2="-4" stroke="${p.color}" stroke-width="2"${p.dashed ? ' stroke-dasharray="4 2"' : ''}/>` +
        `<text x="18" y="0" class="lg">${esc(p.name)}</text></g>`;
  });
  const lx = M.l + pw + 12,
    steps = 24;
  for (let k = 0; k < steps; k++)
    body +=
      `<rect x="${lx}" y="${(M.t + (ph * k) / steps).toFixed(2)}" width="12" ` +
      `height="${(ph / steps + 0.5).toFixed(2)}" fill="${ramp(1 - k / (steps - 1))}"/>`;
  const lab = (v: number) => (o.linear ? fmt(v, 3) : `1e${v.toFixed(1)}`);
  body +=
    `<text x="${lx}" y="${M.t - 4}" class="tk">${lab(hi)}</text><text x="${lx}" y="${M.t + ph + 12}" ` +
    `class="tk">${lab(lo)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${Hg}" viewBox="0 ` +
    `0 ${W} ${Hg}" role="img" aria-label="${esc(o.title)}">` +
    `<rect x="0" y="0" width="${W}" height="${Hg}" fill="#fff"/>` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="ct">${esc(o.title)}</text>` +
    body +
    `<text x="${M.l + pw / 2}" y="${Hg - 4}" text-anchor="middle" class="al">${esc(o.xLabel)}</text>` +
    `<text transform="translate(12 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" class="al">${esc(o.yLabel)}` +
    `</text>` +
    '</svg>'
  );
}
