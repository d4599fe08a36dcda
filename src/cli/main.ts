/**
 * `recur` command dispatcher. Each command lives in its own file and is loaded on demand.
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 bad input data or files; the policy that maps
 * what a command throws to a code and a message is src/cli/errors.ts.
 */
import { enableRelaxedSimd } from '../node/relaxed_simd.js';
import { type Command, type CommandIO, EXIT, closest, helpText, parseArgs, subcommand } from './args.js';
import { errorText } from './errors.js';
import { printable, printableJSON } from '../printable.js';

type Loader = () => Promise<{ command: Command }>;

/** Registry: add one line per command. */
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  start: { summary: 'run the main experiment on its embedded default', load: () => import('./start.js') },
  train: { summary: 'train a recurrent net on a classic task', load: () => import('./train.js') },
  eval: {
    summary: 'evaluate a trained model on fresh sequences, or a fitted model on a data file',
    load: () => import('./eval.js'),
  },
  fit: {
    summary: 'train on your own sequences (CSV or JSONL): classify, regress, tag, forecast',
    load: () => import('./fit.js'),
  },
  predict: { summary: 'predict with a model saved by recur fit', load: () => import('./predict.js') },
  experiment: {
    summary:
      "the lecture's experiments and open questions (lecture, pascanu, cliff, esn-vs-lstm, ...), one report each",
    load: () => import('./experiment.js'),
  },
  resume: { summary: 'continue a training run from its checkpoint', load: () => import('./resume.js') },
  preprocess: {
    summary: 'YUV, local contrast normalisation and ZCA whitening on PNG images',
    load: () => import('./preprocess.js'),
  },
  report: {
    summary: 'write one self-contained HTML report of training runs, side by side',
    load: () => import('./report.js'),
  },
  esn: { summary: 'fit and evaluate an echo state network on a data set or CSV', load: () => import('./esn.js') },
  hash: {
    summary: 'the hashing trick: streaming online logistic regression over CSV larger than memory',
    load: () => import('./hash.js'),
  },
  lm: {
    summary: 'language models on a text file (train, sample, eval) and encoder-decoder toy tasks',
    load: () => import('./lm.js'),
  },
};

export function registerCommand(name: string, summary: string, load: Loader): void {
  COMMANDS[name] = { summary, load };
}

function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  return [
    'Usage: recur <command> [options]',
    '',
    'Recurrent neural networks in TypeScript.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(w)}${v.summary}`),
    '',
    "Run `recur <command> --help` for a command's options. Every command takes --json.",
  ].join('\n');
}

/**
 * The process's stdout and stderr, with every line made safe for a terminal: control and bidi
 * characters escaped (src/printable.ts). A JSON line is escaped losslessly (\uXXXX: it parses
 * to the same value), any other line visibly.
 */
export function defaultIO(): CommandIO {
  const safe = (s: string) =>
    s.startsWith('{') || s.startsWith('[') ? printableJSON(s) : printable(s, { max: Infinity, keepLines: true });
  // A reader that closes the pipe early (`recur predict ... | head`) ends our output, not the
  // command: a training run keeps running and saving, it just stops printing.
  let stdoutClosed = false;
  if (process.stdout.listenerCount('error') === 0)
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      stdoutClosed = true;
    });
  return {
    out: (s) => {
      if (!stdoutClosed) process.stdout.write(safe(s) + '\n');
    },
    err: (s) => process.stderr.write(safe(s) + '\n'),
    isTTY: Boolean(process.stderr.isTTY),
    tty: (s) => process.stderr.write(s),
    columns: process.stderr.columns,
  };
}

/** Prints what a command threw by the exit-code policy (errors.ts) and returns the code. */
function fail(io: CommandIO, name: string, e: unknown, hint: boolean): number {
  const { code, lines } = errorText(name, e);
  for (const l of lines) io.err(l);
  if (hint && code === EXIT.usage) io.err(`Run 'recur ${name} --help' for usage.`);
  if (code === EXIT.failure && process.env.RECUR_DEBUG) io.err(String((e as Error)?.stack));
  return code;
}

export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  enableRelaxedSimd(); // before the kernels compile: Node 20 has relaxed SIMD behind a flag
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && COMMANDS[rest[0]]) return main([rest[0], '--help'], io);
    io.out(topHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    io.out('recur 0.1.0');
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const s = closest(name, Object.keys(COMMANDS));
    io.err(
      `recur: unknown command '${printable(name, 60)}'${s ? ` (did you mean '${s}'?)` : ''}. Run 'recur ` +
        `--help' for the list.`,
    );
    return EXIT.usage;
  }
  let { command } = await entry.load();
  if (command.resolve) command = await command.resolve(rest);
  let parsed;
  try {
    parsed = parseArgs(rest, command.flags);
    // A subcommand takes only its own flags: parse again with its table.
    const sub = parsed.positionals[0];
    if (command.subcommands && sub !== undefined && Object.hasOwn(command.subcommands, sub)) {
      const family = command.flags;
      command = subcommand(command, sub);
      parsed = parseArgs(rest, command.flags, { where: command.name, family });
    }
  } catch (e) {
    return fail(io, command.name, e, true);
  }
  if (parsed.opts.help) {
    io.out(helpText('recur', command));
    return EXIT.ok;
  }
  for (const n of parsed.notes) io.err(`recur ${command.name}: note: ${n}`);
  try {
    return await command.run(parsed.opts, parsed.positionals, io);
  } catch (e) {
    return fail(io, name, e, false);
  }
}
