/**
 * Atomic file writes: write a temp file beside the target, fsync it, rename over the target,
 * fsync the directory. A crash leaves either the old file or the new one, never half of one.
 *
 * A crash (kill -9, power loss) between opening the temp file and the rename leaves the temp
 * file `.<name>.tmp-<pid>-<random>` behind; the next write of the same target removes those
 * whose process no longer runs, so they do not pile up over a run's restarts.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { asFileError } from './files.js';

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files of earlier writes of `path` left by processes that have gone; returns how many. */
export function removeStaleTemps(path: string): number {
  const dir = dirname(path),
    prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const f of names) {
    if (!f.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(f.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    try {
      unlinkSync(join(dir, f));
      removed++;
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  removeStaleTemps(path);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'w', 0o644);
  } catch (e) {
    asFileError(e, dirname(path), true);
  }
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    asFileError(e, path, true);
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems refuse fsync on directories */
  }
}
