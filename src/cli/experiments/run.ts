/**
 * `recur experiment NAME` for the in-process experiments (src/experiments/registry.ts): the
 * experiment's options become flags, `--quick` applies its toy preset to every flag not given,
 * the edge loads what lives in files (data.ts), and the run folder gets results.json (the
 * numbers, findings included) and report.html (self-contained). Wall time and the load
 * average are recorded beside the numbers; no result depends on them.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type Command, type FlagSpec, InputError, UsageError, camel } from '../args.js';
import { RunDir } from '../../node/rundir.js';
import { writeFileAtomic } from '../../node/atomic.js';
import { experimentPage } from '../../report/page.js';
import { EXPERIMENTS } from '../../experiments/registry.js';
import { DataError, OptionError, findingsText } from '../../experiments/spec.js';
import { DATA_LOADERS } from './data.js';
import { snakeKeys } from '../json.js';

/** Flag names given on the command line (before `--`). */
function givenFlags(argv: string[]): Set<string> {
  const out = new Set<string>();
  for (const a of argv) {
    if (a === '--') break;
    if (a.startsWith('--')) {
      const n = a.slice(2).split('=')[0]!;
      out.add(camel(n.startsWith('no-') ? n.slice(3) : n));
    }
  }
  return out;
}

export async function experimentCommand(name: string, argv: string[]): Promise<Command> {
  const entry = EXPERIMENTS[name]!;
  const { experiment: exp } = await entry.load();
  const flags: Record<string, FlagSpec> = {
    ...(exp.options as Record<string, FlagSpec>),
    quick: {
      type: 'boolean',
      default: false,
      help: 'toy sizes, a few seconds (for tests and a first look; the numbers mean little)',
    },
    out: { type: 'string', help: `run folder (default runs/${name})` },
  };
  const given = givenFlags(argv.slice(1));
  return {
    name: `experiment ${name}`,
    summary: `${exp.title}. ${exp.question}`,
    flags,
    details: `Writes results.json and report.html into the run folder. Quick preset: ${Object.entries(exp.quick)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)
      .join(' ')}`,
    async run(o, pos, io) {
      if (pos.length > 1) throw new UsageError(`unexpected argument '${pos[1]}'`);
      if (o.quick) for (const [k, v] of Object.entries(exp.quick)) if (!given.has(k)) o[k] = v;
      const dir = (o.out as string | undefined) ?? join('runs', name);
      const options = Object.fromEntries(Object.keys(exp.options).map((k) => [camel(k), o[camel(k)]]));
      if (o.quick) options.quick = true;
      const load = DATA_LOADERS[name];
      const t0 = performance.now(),
        load0 = loadavg();
      let result;
      try {
        exp.validate?.(o);
        const data = load ? await load(o, (l) => !o.json && io.err(l)) : undefined;
        result = await exp.run(o, { log: (l) => !o.json && io.err(l) }, data);
      } catch (e) {
        if (e instanceof OptionError) throw new UsageError(e.message);
        if (e instanceof DataError) throw new InputError(e.message);
        throw e;
      }
      result.options = options;
      const command = `recur experiment ${argv.join(' ')}`.trim();
      const full = {
        ...result,
        options,
        command,
        run: dir,
        wall_seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
        load_average: {
          start: load0.map((v) => Number(v.toFixed(2))),
          end: loadavg().map((v) => Number(v.toFixed(2))),
        },
      };
      const run = RunDir.create(dir);
      run.writeJSON('results.json', snakeKeys(full));
      const html = experimentPage({
        title: `recur experiment ${name}: ${exp.title}`,
        subtitle:
          `${new Date().toISOString().slice(0, 19)}Z, ${full.wall_seconds} s wall (load ` +
          `average ${full.load_average.start[0]} at the start): timings are for the record only`,
        question: exp.question,
        findings: result.findings,
        sections: exp.sections(result),
        options,
        command,
      });
      writeFileAtomic(run.file('report.html'), html);
      if (o.json) io.out(JSON.stringify(snakeKeys({ ...full, report: run.file('report.html') })));
      else
        io.out(
          `${exp.text(result)}\n\nFindings:\n${findingsText(result.findings)}\n\nRun folder ` +
            `${dir}: results.json, report.html`,
        );
      return 0;
    },
  };
}
