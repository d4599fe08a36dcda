// A reader that closes the pipe early (`recur predict ... | head`) ends the output, not the
// command: no EPIPE stack trace, the command goes on (a training run keeps saving) and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.js';

test('writing to a closed stdout stops the output, not the command', async () => {
  const mainUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'cli', 'main.js')).href;
  const code =
    `const { defaultIO } = await import(${JSON.stringify(mainUrl)});\n` +
    'const io = defaultIO();\n' +
    "for (let i = 0; i < 20000; i++) io.out('line ' + i + ' ' + 'x'.repeat(60));\n" +
    'await new Promise((r) => setTimeout(r, 300));\n' +
    "io.err('done after the reader left');\n";
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  // Read the first chunk, then close our end, as `head -1` does.
  child.stdout.once('data', () => child.stdout.destroy());
  const exit = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.equal(exit, 0, err);
  assert.match(err, /done after the reader left/);
  assert.doesNotMatch(err, /EPIPE|Error/);
});
