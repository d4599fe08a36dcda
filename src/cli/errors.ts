/**
 * The CLI's one exit-code policy (README, "Exit codes"); main.ts applies it to whatever a
 * command throws, so every command follows it:
 *
 *   0  ok
 *   1  failure: the work itself failed (training diverged in --strict mode, a numerical
 *      breakdown, an unexpected error)
 *   2  usage: an unknown flag or command, a missing argument, a value outside its flag's
 *      range (the message names the flag and the range), or a value the library rejects
 *      (a RangeError that escaped: the settings asked for something impossible)
 *   3  bad input: a missing, unreadable or wrong-kind file or folder (the message names the
 *      path), or data that is malformed (corrupt checkpoint, bad CSV row in --strict mode,
 *      a PNG that is not one)
 */
import { FileError } from '../node/files.js';
import { printable } from '../printable.js';

/** Errors that mean "the input is bad" (by name, so that this file loads none of their modules). */
const DATA_ERRORS = new Set(['InputError', 'SafetensorsError', 'CsvError', 'PngError']);

/** Exit codes that mean something. */
export const EXIT = { ok: 0, failure: 1, usage: 2, badInput: 3 } as const;

/** A bad command line: unknown flag, missing argument, value out of range (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Errors caused by the user's data or files (exit code 3). */
export class InputError extends Error {
  override name = 'InputError';
}

/** Plain words for the file-system error codes a user can cause. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory (a file was expected)',
  ENOTDIR: 'is not a directory (a folder was expected, or a part of the path is a file)',
  EEXIST: 'already exists and is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  EBUSY: 'busy',
};

/** The exit code and the one-line message for an error a command threw. */
export function classify(e: unknown): { code: number; message: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const msg = err.message;
  if (err instanceof UsageError) return { code: EXIT.usage, message: msg };
  const fsCode = (err as NodeJS.ErrnoException).code;
  if (err instanceof FileError || (typeof fsCode === 'string' && fsCode in FS_REASONS)) {
    const code = fsCode as string;
    const ne = err as NodeJS.ErrnoException & { dest?: string };
    // A rename onto a folder fails on its destination; otherwise the path is the one at fault.
    const path = code === 'EISDIR' && ne.dest ? ne.dest : ne.path;
    const reason = FS_REASONS[code] ?? code;
    // Disk full and the like are not the input's fault: the work failed (exit 1).
    const exit = ['ENOSPC', 'EDQUOT', 'EMFILE', 'EBUSY'].includes(code) ? EXIT.failure : EXIT.badInput;
    if (path !== undefined) {
      const own = err instanceof FileError && msg !== `${path}: ${code}`;
      return { code: exit, message: own ? msg : `${path}: ${reason}` };
    }
    return { code: exit, message: `${reason} (${msg})` };
  }
  if (DATA_ERRORS.has(err.name)) return { code: EXIT.badInput, message: msg };
  // A library's value check that no flag range caught. Only plain RangeErrors: subclasses
  // (e.g. NotPositiveDefiniteError) are numerical failures, and so are the engine's own.
  if (
    err.constructor === RangeError &&
    !/^(Maximum call stack|Array buffer allocation failed|WebAssembly\.Memory)/.test(msg)
  )
    return { code: EXIT.usage, message: `${msg} (a setting is out of range)` };
  return { code: EXIT.failure, message: `${err.name === 'Error' ? '' : `${err.name}: `}${msg}` };
}

/** The message as printed: one line per line of text, control characters escaped. */
export function errorText(command: string, e: unknown): { code: number; lines: string[] } {
  const { code, message } = classify(e);
  return {
    code,
    lines: printable(message, { max: 4000, keepLines: true })
      .split('\n')
      .map((l) => `recur ${command}: ${l}`),
  };
}
