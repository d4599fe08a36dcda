/**
 * Data that experiments read from files, loaded at the edge and handed to the core `run` as
 * `data`. One entry per experiment that needs one.
 */
export type DataLoader = (o: Record<string, any>, log: (line: string) => void) => Promise<unknown>;

export const DATA_LOADERS: Record<string, DataLoader> = {};
