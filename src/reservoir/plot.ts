/**
 * A forecast against the truth as a self-contained SVG line chart (no scripts, no external
 * references; every string that reaches the markup is escaped), for `recur report`.
 *
 *   forecast = { t: number[], truth: number[], prediction: number[], mode?: string, title?: string }
 */
import { ShapeError } from '../tensor.js';

export interface Forecast {
  t: number[];
  truth: number[];
  prediction: number[];
  /** e.g. 'one-step' or 'closed-loop'. */
  mode?: string;
  title?: string;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toFixed(3));

export function forecastSvg(f: Forecast, size: { width?: number; height?: number } = {}): string {
  const n = f.t.length;
  if (f.truth.length !== n || f.prediction.length !== n) {
    throw new ShapeError(
      'forecastSvg: t, truth and prediction must have equal lengths, ' +
        `got ${n}, ${f.truth.length}, ${f.prediction.length}`,
    );
  }
  const W = size.width ?? 720,
    H = size.height ?? 260,
    ml = 56,
    mr = 12,
    mt = 28,
    mb = 30;
  const finite = [...f.truth, ...f.prediction].filter((v) => Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0,
    hi = finite.length ? Math.max(...finite) : 1;
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const t0 = n ? f.t[0]! : 0,
    t1 = n ? f.t[n - 1]! : 1;
  const sx = (t: number): number => ml + ((t - t0) / (t1 - t0 || 1)) * (W - ml - mr);
  const sy = (v: number): number => mt + (1 - (v - lo) / (hi - lo)) * (H - mt - mb);
  const path = (ys: number[]): string => {
    let d = '',
      pen = false;
    for (let i = 0; i < n; i++) {
      const v = ys[i]!;
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(f.t[i]!).toFixed(1)},${sy(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  };
  const title = escapeXml(f.title ?? `forecast${f.mode ? ` (${f.mode})` : ''}`);
  const ticks = [lo, (lo + hi) / 2, hi]
    .map(
      (v) =>
        `<text x="${ml - 6}" y="${sy(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">` +
        `${escapeXml(fmt(v))}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      'font-family="sans-serif" font-size="11">',
    `<title>${title}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${ml}" y="16" font-size="13">${title}</text>`,
    `<line x1="${ml}" y1="${H - mb}" x2="${W - mr}" y2="${H - mb}" stroke="#999"/>`,
    `<line x1="${ml}" y1="${mt}" x2="${ml}" y2="${H - mb}" stroke="#999"/>`,
    ticks,
    `<text x="${ml}" y="${H - 10}">${escapeXml(fmt(t0))}</text>`,
    `<text x="${W - mr}" y="${H - 10}" text-anchor="end">${escapeXml(fmt(t1))}</text>`,
    `<path d="${path(f.truth)}" fill="none" stroke="#333" stroke-width="1.5"/>`,
    `<path d="${path(f.prediction)}" fill="none" stroke="#d62728" stroke-width="1.2" stroke-dasharray="4 2"/>`,
    `<text x="${W - mr - 150}" y="16" fill="#333">— truth</text>` +
      `<text x="${W - mr - 80}" y="16" fill="#d62728">- - prediction</text>`,
    '</svg>',
  ].join('\n');
}
