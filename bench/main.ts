/**
 * `npm run bench [-- SUITE ...flags]`: speed and quality side by side with the peers,
 * measured in the same run. Suites register here, one line each; each prints a table and
 * takes `--json FILE`.
 */
type Suite = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const SUITES: Record<string, Suite> = {
  preprocess: { summary: 'ZCA fit vs NumPy, LCN per image', load: () => import('./preprocess.js') },
  lm: { summary: 'C2 char LM on tinyshakespeare: tokens/s vs PyTorch, steady heap', load: () => import('./lm.js') },
};

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--help' || first === '-h') {
    console.log('Usage: npm run bench -- [SUITE] [flags]\n\nSuites:\n' +
      Object.entries(SUITES).map(([k, v]) => `  ${k.padEnd(8)}${v.summary}`).join('\n') + '\n\nEach suite takes --help.');
    return 0;
  }
  const name = first && !first.startsWith('-') ? first : 'rnn';
  const rest = first && !first.startsWith('-') ? argv.slice(1) : argv;
  const s = SUITES[name];
  if (!s) {
    console.error(`bench: unknown suite '${name}'; have: ${Object.keys(SUITES).join(', ') || '(none yet)'}`);
    return 2;
  }
  return (await s.load()).run(rest);
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; });
