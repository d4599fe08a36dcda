/**
 * A dot chart over categories: for each category (x) and group (colour), the mean of the
 * group's values as a dot and their range (min to max over seeds) as a whisker. For results
 * that are one number per (setting, seed), e.g. test accuracy per preprocessing and classifier.
 */
import { esc, fmt } from './escape.js';
import { PALETTE, niceTicks } from './svg.js';

export interface DotGroup {
  name: string;
  /** values[c]: the numbers of category c (one per seed); empty = not run. */
  values: number[][];
  color?: string;
}

export function dotChart(
  categories: string[],
  groups: DotGroup[],
  o: { title: string; yLabel?: string; width?: number; height?: number },
): string {
  const W = o.width ?? 520,
    Hg = o.height ?? 280,
    M = { l: 52, r: 12, t: 26, b: 50 },
    pw = W - M.l - M.r,
    ph = Hg - M.t - M.b;
  const all = groups.flatMap((g) => g.values.flat()).filter(Number.isFinite);
  let y0 = Math.min(...all),
    y1 = Math.max(...all);
  if (!all.length) {
    y0 = 0;
    y1 = 1;
  }
  if (y1 === y0) {
    y0 -= 0.05;
    y1 += 0.05;
  }
  const pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  const Y = (y: number) => M.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const cw = pw / Math.max(1, categories.length);
  let body = `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
  for (const v of niceTicks(y0, y1))
    body +=
      `<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" ` +
      `stroke="#eee"/><text x="${M.l - 4}" y="${Y(v).toFixed(1)}" dy="0.32em" text-anchor="end" ` +
      `class="tk">${fmt(v, 3)}</text>`;
  categories.forEach((c, i) => {
    body +=
      `<text x="${(M.l + (i + 0.5) * cw).toFixed(1)}" y="${M.t + ph + 15}" text-anchor="middle" ` +
      `class="tk">${esc(c)}</text>`;
    groups.forEach((g, k) => {
      const vs = (g.values[i] ?? []).filter(Number.isFinite);
      if (!vs.length) return;
      const color = g.color ?? PALETTE[k % PALETTE.length]!;
      const x = M.l + (i + (k + 1) / (groups.length + 1)) * cw;
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      body +=
        `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${Y(Math.min(...vs)).toFixed(1)}" ` +
        `y2="${Y(Math.max(...vs)).toFixed(1)}" stroke="${color}" stroke-width="2"/>`;
      body +=
        `<circle cx="${x.toFixed(1)}" cy="${Y(mean).toFixed(1)}" r="4" fill="${color}">` +
        `<title>${esc(g.name)}, ${esc(c)}: mean ${fmt(mean)} over ${vs.length} (${vs.map((v) => fmt(v)).join(', ')})` +
        `</title></circle>`;
    });
  });
  let lx = M.l + 8;
  groups.forEach((g, k) => {
    const color = g.color ?? PALETTE[k % PALETTE.length]!;
    body +=
      `<g transform="translate(${lx} ${Hg - 8})"><circle cx="4" cy="-4" r="4" fill="${color}"/>` +
      `<text x="12" y="0" class="lg">${esc(g.name)}</text></g>`;
    lx += 30 + 6 * g.name.length;
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${Hg}" viewBox="0 ` +
    `0 ${W} ${Hg}" role="img" aria-label="${esc(o.title)}">` +
    `<rect x="0" y="0" width="${W}" height="${Hg}" fill="#fff"/><text x="${W / 2}" y="16" text-anchor="middle" ` +
    `class="ct">${esc(o.title)}</text>` +
    body +
    (o.yLabel
      ? `<text transform="translate(12 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" class="al">${esc(o.yLabel)}` +
        `</text>`
      : '') +
    '</svg>'
  );
}
