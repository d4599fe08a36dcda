/**
 * `recur` command dispatcher. Each command lives in its own file and is loaded on demand.
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 bad input data or files.
 */
import { enableRelaxedSimd } from '../node/relaxed_simd.js';
import { type Command, type CommandIO, EXIT, InputError, UsageError, closest, helpText, parseArgs } from './args.js';

type Loader = () => Promise<{ command: Command }>;

/** Registry: add one line per command. */
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  start: { summary: 'run the main experiment on its embedded default', load: () => import('./start.js') },
  train: { summary: 'train a recurrent net on a classic task', load: () => import('./train.js') },
  eval: { summary: 'evaluate a trained model on fresh sequences', load: () => import('./eval.js') },
  experiment: {
    summary: 'run the lecture experiment (several models side by side)',
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

export function defaultIO(): CommandIO {
  return {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
    isTTY: Boolean(process.stderr.isTTY),
  };
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
    io.err(`recur: unknown command '${name}'${s ? ` (did you mean '${s}'?)` : ''}. Run 'recur --help' for the list.`);
    return EXIT.usage;
  }
  const { command } = await entry.load();
  let parsed;
  try {
    parsed = parseArgs(rest, command.flags);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`recur ${name}: ${e.message}`);
      io.err(`Run 'recur ${name} --help' for usage.`);
      return EXIT.usage;
    }
    throw e;
  }
  if (parsed.opts.help) {
    io.out(helpText('recur', command));
    return EXIT.ok;
  }
  try {
    return await command.run(parsed.opts, parsed.positionals, io);
  } catch (e) {
    const err = e as Error;
    if (e instanceof UsageError) {
      io.err(`recur ${name}: ${err.message}`);
      return EXIT.usage;
    }
    if (e instanceof InputError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`recur ${name}: ${err.message}`);
      return EXIT.badInput;
    }
    io.err(`recur ${name}: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}`);
    if (process.env.RECUR_DEBUG) io.err(String(err.stack));
    return EXIT.failure;
  }
}
