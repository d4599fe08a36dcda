// The pages of `recur experiment NAME` in headless Chromium: each experiment runs in-process at
// its quick size, its page renders every chart with ink, has no script and fetches nothing.
// Screenshots are kept in dist/test-artifacts/. Skips, saying why, where Chromium is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { EXPERIMENTS, optionDefaults } from 'recur-rnn/experiments';
import { experimentPage } from 'recur-rnn/report';
import { loadImages } from '../../src/cli/experiments/images.js';
import { ROOT } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ART = join(ROOT, 'dist', 'test-artifacts');

function ink(png: Buffer): { colors: number; inked: number } {
  const img = PNG.sync.read(png);
  const seen = new Set<number>();
  let inked = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const r = img.data[i]!,
      g = img.data[i + 1]!,
      b = img.data[i + 2]!;
    seen.add((r << 16) | (g << 8) | b);
    if (r < 235 || g < 235 || b < 235) inked++;
  }
  return { colors: seen.size, inked: inked / (img.width * img.height) };
}

test('every experiment page renders its charts in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (apt-get install -y chromium)`,
  timeout: 240_000,
}, async (t) => {
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    t.skip('playwright-core is not installed (npm install)');
    return;
  }
  mkdirSync(ART, { recursive: true });
  const browser = await pw.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    for (const name of Object.keys(EXPERIMENTS)) {
      const { experiment } = await EXPERIMENTS[name]!.load();
      const o: Record<string, any> = { ...optionDefaults(experiment.options), ...experiment.quick };
      let data: unknown;
      if (name === 'preprocess') {
        Object.assign(o, { images: join(ROOT, 'test/fixtures/photos'), scale: 1, tile: 8, block: 1 });
        data = await loadImages(o, () => {});
      }
      const r = await experiment.run(o, { log: () => {} }, data);
      const html = experimentPage({
        title: r.title,
        question: r.question,
        findings: r.findings,
        sections: experiment.sections(r),
        options: r.options,
      });
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const requests: string[] = [];
      page.on('request', (q) => {
        if (!q.url().startsWith('data:') && q.url() !== 'about:blank') requests.push(q.url());
      });
      await page.setContent(html);
      assert.equal(await page.locator('script').count(), 0, name);
      assert.deepEqual(requests, [], `${name} fetched something`);
      writeFileSync(join(ART, `experiment-${name}.png`), new Uint8Array(await page.screenshot({ fullPage: true })));
      const charts = page.locator('svg.chart');
      const n = await charts.count();
      assert.ok(n >= 1, `${name}: no chart`);
      for (let i = 0; i < n; i++) {
        const k = ink(await charts.nth(i).screenshot());
        assert.ok(k.inked > 0.03 && k.colors > 8, `${name}: chart ${i} looks blank: ${JSON.stringify(k)}`);
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
