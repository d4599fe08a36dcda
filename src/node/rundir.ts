/**
 * Run folders: config.json, metrics.jsonl (one JSON object per line), checkpoint.safetensors
 * (written atomically) and result.json. Node-only: the edge where training meets the disk.
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { FileError, makeDir, readInput } from './files.js';

export class RunDir {
  private logFd = -1; // metrics.jsonl, opened once for appending (not once per record)

  constructor(readonly path: string) {}

  static create(path: string): RunDir {
    makeDir(path);
    return new RunDir(path);
  }

  static open(path: string): RunDir {
    if (!existsSync(path)) throw new FileError('ENOENT', path, `run folder '${path}' does not exist`);
    if (!statSync(path).isDirectory()) throw new FileError('ENOTDIR', path, `'${path}' is a file, not a run folder`);
    return new RunDir(path);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Removes the files a run writes (for --force); leaves anything else in the folder alone. */
  clear(): void {
    this.closeLog();
    for (const f of ['metrics.jsonl', 'samples.jsonl', 'checkpoint.safetensors', 'result.json', 'config.json'])
      rmSync(this.file(f), { force: true });
  }

  writeJSON(name: string, v: unknown): void {
    writeFileAtomic(this.file(name), JSON.stringify(v, null, 2) + '\n');
  }

  readJSON<T>(name: string): T {
    return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** Appends one metrics record (JSON lines); each record reaches the file before log returns. */
  log(rec: Record<string, unknown>): void {
    if (this.logFd < 0) this.logFd = openSync(this.file('metrics.jsonl'), 'a');
    appendFileSync(this.logFd, JSON.stringify(rec) + '\n');
  }

  /** Closes metrics.jsonl (a later log reopens it). */
  closeLog(): void {
    if (this.logFd >= 0) closeSync(this.logFd);
    this.logFd = -1;
  }

  /** Appends one record to a JSON-lines file of the run (samples.jsonl and the like). */
  append(name: string, rec: Record<string, unknown>): void {
    appendFileSync(this.file(name), JSON.stringify(rec) + '\n');
  }

  readMetrics(): Record<string, unknown>[] {
    if (!this.has('metrics.jsonl')) return [];
    return readFileSync(this.file('metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        } // a torn last line after a crash
      });
  }

  saveCheckpoint(bytes: Uint8Array, name = 'checkpoint.safetensors'): void {
    writeFileAtomic(this.file(name), bytes);
  }

  readBytes(name: string): Uint8Array {
    const path = this.file(name);
    if (!existsSync(path))
      throw new FileError(
        'ENOENT',
        path,
        `'${this.path}' has no ${name}: it is not a run folder, or its run saved none yet`,
      );
    return readInput(path);
  }
}
