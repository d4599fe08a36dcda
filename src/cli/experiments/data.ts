/**
 * Data that experiments read from files, loaded at the edge and handed to the core `run` as
 * `data`. One entry per experiment that needs one.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../args.js';
import { loadImages } from './images.js';

export type DataLoader = (o: Record<string, any>, log: (line: string) => void) => Promise<unknown>;

/** A UTF-8 text file named by --text, or undefined (the experiment generates its corpus). */
async function textFile(o: Record<string, any>): Promise<string | undefined> {
  if (o.text === undefined) return undefined;
  const bytes = readFileSync(o.text as string);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${o.text}: not valid UTF-8 text`);
  }
}

export const DATA_LOADERS: Record<string, DataLoader> = {
  'esn-vs-lstm': textFile,
  embeddings: textFile,
  preprocess: loadImages,
};
