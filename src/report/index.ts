/**
 * recur-rnn/report: a self-contained HTML report of training runs (inline SVG charts, no script,
 * no network), built from plain data; `recur report RUN_DIR...` reads the folders and calls it.
 * @module recur-rnn/report
 */
export { buildReport, type RunData, type ReportOptions } from './report.js';
export {
  lineChart,
  heatmap,
  niceTicks,
  logTicks,
  tickLabel,
  ramp,
  type Series,
  type LineChartOptions,
  type HeatmapOptions,
} from './svg.js';
export { successTable, successText, type SuccessTable, type SuccessCell } from './tables.js';
export { esc, num, fmt } from './escape.js';
export { fieldMap, type FieldPath, type FieldMapOptions } from './field.js';
export { dotChart, type DotGroup } from './dots.js';
export {
  experimentPage,
  dataTable,
  type ExperimentPage,
  type Finding,
  type PageSection,
  type Verdict,
} from './page.js';
export { verdict, conclusions, criterion, lectureText, lectureCells, measure, outcome } from './verdicts.js';
