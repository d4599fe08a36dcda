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

export function runRecur(args: string[]): Promise<JobResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('close', (code) => {
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

/** Runs all jobs with at most `parallel` at once; calls onDone as each finishes. Results keep the input order. */
export async function runAll(
  jobs: string[][],
  parallel = availableParallelism(),
  onDone?: (r: JobResult, i: number) => void,
): Promise<JobResult[]> {
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await runRecur(jobs[i]!);
      onDone?.(results[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results;
}
