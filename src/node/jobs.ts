/**
 * Runs CLI sub-commands as child processes, N at a time (one per core by default), and
 * collects their --json results. Experiments use it to train several models side by side.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'recur.js');

export interface JobResult {
  args: string[];
  code: number;
  json: Record<string, unknown> | null;
  stderr: string;
}

/** Runs `recur ARGS --json` in a child process; `onLine` sees each line of its stderr as it comes. */
export function runRecur(args: string[], onLine?: (line: string) => void): Promise<JobResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '',
      part = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (!onLine) {
        err += text;
        return;
      }
      const lines = (part + text).split('\n');
      part = lines.pop()!;
      for (const l of lines) {
        // progress lines are the caller's; everything else is kept for the error message
        if (l.startsWith('{"progress"')) onLine(l);
        else err += l + '\n';
      }
    });
    p.on('close', (code) => {
      err += part;
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        json = null;
      }
      resolve({ args, code: code ?? 1, json, stderr: err });
    });
  });
}

export interface RunAllHooks {
  onStart?: (i: number) => void;
  /** A progress line ('{"progress": ...}') of job i's stderr. */
  onLine?: (i: number, line: string) => void;
  onDone?: (r: JobResult, i: number) => void;
  /** The order to start jobs in (default: as given); results keep the input order. */
  order?: number[];
}

/** Runs all jobs with at most `parallel` at once; calls onDone as each finishes. Results keep the input order. */
export async function runAll(
  jobs: string[][],
  parallel = availableParallelism(),
  hooks: RunAllHooks | ((r: JobResult, i: number) => void) = {},
): Promise<JobResult[]> {
  const h: RunAllHooks = typeof hooks === 'function' ? { onDone: hooks } : hooks;
  const order = h.order ?? jobs.map((_, i) => i);
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = order[next++]!;
      h.onStart?.(i);
      results[i] = await runRecur(jobs[i]!, h.onLine ? (l) => h.onLine!(i, l) : undefined);
      h.onDone?.(results[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results;
}
