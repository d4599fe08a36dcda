/**
 * Reading and writing the user's files with errors that name the path. Node's own errors do
 * not always do so (reading a directory gives "EISDIR: illegal operation on a directory, read"
 * with no path), so every file the CLI reads or creates goes through these, and the CLI's
 * exit-code policy (src/cli/errors.ts) maps a FileError to exit code 3 with a plain message.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';

/** A file or folder that cannot be used: `code` is Node's (ENOENT, EISDIR, ...), `path` the one at fault. */
export class FileError extends Error {
  override name = 'FileError';
  constructor(
    readonly code: string,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `${path}: ${code}`);
  }
}

/**
 * Re-throws a Node fs error (or anything with a `code`) as a FileError naming `path` (or the
 * error's own path, unless `ours` says that `path` is the one to name, e.g. a rename's target).
 */
export function asFileError(e: unknown, path: string, ours = false): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && code.startsWith('E'))
    throw new FileError(code, ours ? path : ((e as NodeJS.ErrnoException).path ?? path));
  throw e;
}

/** Throws a FileError unless `path` is an existing regular file (or a device such as /dev/stdin). */
export function checkFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    asFileError(e, path);
  }
  if (st.isDirectory()) throw new FileError('EISDIR', path);
}

/** The bytes of the file at `path` (a plain Uint8Array, not a Buffer), or a FileError naming it. */
export function readInput(path: string): Uint8Array {
  checkFile(path);
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    asFileError(e, path);
  }
}

/** The text (UTF-8) of the file at `path`, or a FileError naming it. */
export function readInputText(path: string): string {
  return new TextDecoder().decode(readInput(path));
}

/** Creates folder `path` (and its parents); a FileError when a file is in the way or it cannot be made. */
export function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    asFileError(e, path);
  }
}
