/**
 * The page of one experiment (`recur experiment NAME`): the question, what was found (each
 * finding with its verdict, computed from the numbers by the experiment), the charts and
 * tables that show it, and the settings of the run. Same rules as the run report: one static
 * file, inline CSS and SVG, no script, nothing fetched, every string escaped.
 */
import { esc } from './escape.js';
import { CSS } from './report.js';

export type Verdict = 'yes' | 'no' | 'inconclusive';

export interface Finding {
  /** The question a number answers. */
  question: string;
  verdict: Verdict;
  /** The answer in words, with the numbers it rests on. */
  answer: string;
}

export interface PageSection {
  id: string;
  title: string;
  /** Plain text (escaped). */
  intro?: string;
  /** Trusted HTML built by the report helpers (charts, tables). */
  html: string;
}

export interface ExperimentPage {
  title: string;
  subtitle?: string;
  question: string;
  findings: Finding[];
  sections: PageSection[];
  options: Record<string, unknown>;
  /** The command that reproduces the run. */
  command?: string;
}

/** A table of strings (escaped). */
export function dataTable(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const VERDICT_CSS =
  '.v{display:inline-block;min-width:92px;padding:1px 6px;margin-right:8px;border-radius:3px;font-size:12px;' +
  'font-weight:600;text-align:center}.v-yes{background:#d9f2d9;color:#185c18}.v-no{background:#f8d7d7;color:#7a1515}' +
  '.v-inconclusive{background:#eee;color:#444}.finding{margin:6px 0;max-width:1000px}.q{font-weight:600}' +
  '.cmd{font-family:monospace;background:#fff;border:1px solid #ddd;padding:4px 8px;display:inline-block}';

export function experimentPage(p: ExperimentPage): string {
  const findings = p.findings
    .map(
      (f) =>
        `<div class="finding"><span class="v v-${esc(f.verdict)}">${esc(f.verdict)}</span><span ` +
        `class="q">${esc(f.question)}</span> ${esc(f.answer)}</div>`,
    )
    .join('');
  const opts = dataTable(
    ['option', 'value'],
    Object.entries(p.options)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  );
  const parts: PageSection[] = [
    {
      id: 'findings',
      title: 'What was measured',
      html:
        `<p class="intro">${esc(p.question)}</p>${findings}` +
        (p.command ? `<p>Reproduce: <span class="cmd">${esc(p.command)}</span></p>` : ''),
    },
    ...p.sections,
    { id: 'settings', title: 'Settings', html: opts },
  ];
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; ` +
    `img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(p.title)}` +
    `</title><style>${CSS}${VERDICT_CSS}</style></head><body>` +
    `<h1>${esc(p.title)}</h1>${p.subtitle ? `<div class="sub">${esc(p.subtitle)}</div>` : ''}` +
    `<nav>${parts.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>` +
    parts
      .map(
        (s) =>
          `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>` +
          (s.intro ? `<p class="intro">${esc(s.intro)}</p>` : '') +
          `${s.html}</section>`,
      )
      .join('') +
    '</body></html>\n'
  );
}
