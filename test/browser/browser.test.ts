// End to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// the demo page trains an RNN live and draws its curves; the HTML report renders its charts
// and a `<script>` in the data never runs. Screenshots are checked to be non-blank and kept in
// dist/test-artifacts/. Skips, saying why, where Chromium or playwright-core is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { PNG } from 'pngjs';
import { buildReport, type RunData } from 'recur-rnn/report';
import { ROOT } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ART = join(ROOT, 'dist', 'test-artifacts');

async function playwright(): Promise<typeof import('playwright-core') | null> {
  try {
    return await import('playwright-core');
  } catch {
    return null;
  }
}

const skipWhy = !existsSync(CHROMIUM)
  ? `${CHROMIUM} not found (apt-get install -y chromium; .ci/run installs it)`
  : !existsSync(join(ROOT, 'dist', 'demo', 'demo.js'))
    ? 'dist/demo/demo.js not built (esbuild missing?)'
    : '';

/** Serves dist/ and one in-memory report on 127.0.0.1 (no file:// quirks, nothing outside dist/). */
function serve(report: string): Promise<{ server: Server; base: string }> {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/report.html') {
      res.writeHead(200, { 'content-type': types['.html']! });
      res.end(report);
      return;
    }
    const file = normalize(join(ROOT, 'dist', path));
    if (!file.startsWith(join(ROOT, 'dist')) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** Distinct colours and the fraction of pixels that are not (near) white in a PNG screenshot. */
function ink(png: Buffer): { colors: number; inked: number } {
  const img = PNG.sync.read(png),
    seen = new Set<number>();
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

function sampleRun(): RunData {
  const T = 12,
    metrics: Record<string, unknown>[] = [];
  for (let s = 10; s <= 200; s += 10)
    metrics.push({
      kind: 'train',
      step: s,
      loss: 0.2 / Math.sqrt(s),
      grad_norm: 1 + 1 / s,
      clip_events: s / 20,
      skipped: 0,
    });
  for (let s = 1; s <= 200; s += s === 1 ? 19 : 20) {
    metrics.push({
      kind: 'diag',
      step: s,
      T,
      grad_norm: 1,
      clip_events: 0,
      skipped_steps: 0,
      cores: [
        {
          layer: 0,
          direction: 0,
          dh_norms: Array.from({ length: T }, (_, t) => 0.5 ** (T - 1 - t) * (1 + s / 200)),
          rho: 0.9 + s / 1000,
          sigma: 1.1 + s / 1000,
          jacobian: { window: 10, sigma: 0.01, rho: 0.005, per_step: 0.63 + s / 2000 },
          saturation: { tanh: s / 400, relu_zero: null, gates: [{ gate: 'h', low: 0, high: 0, mean: 0 }] },
          h_norm: Array.from({ length: T }, (_, t) => 1 - 0.5 ** (t + 1)),
        },
      ],
    });
  }
  return {
    name: 'x<img src=x onerror="window.__pwned=2">',
    metrics,
    config: { task: { name: '<script>window.__pwned=3</script>' } },
    result: { task: 'adding', T, steps: 200, loss: 0.01, mse: 0.01, error_rate: 0.05, success: false, clip_events: 10 },
    samples: [
      {
        step: 200,
        text: 'the corpus said <script>window.__pwned=1</script> and </pre><script>window.__pwned=4</script>',
      },
    ],
  };
}

test('demo trains live in headless Chromium; the report renders charts and runs no script from the data', {
  skip: skipWhy || false,
  timeout: 240_000,
}, async (t) => {
  const pw = await playwright();
  if (!pw) {
    t.skip('playwright-core is not installed (npm install)');
    return;
  }
  mkdirSync(ART, { recursive: true });
  const { server, base } = await serve(buildReport([sampleRun()], { title: 'browser test' }));
  const browser = await pw.chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    // The report: every chart is drawn, nothing from the data ran, the CSP holds.
    await page.goto(`${base}/report.html`);
    assert.equal(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
      undefined,
      'a script from the data ran',
    );
    assert.equal(await page.locator('script').count(), 0);
    assert.match(await page.locator('#samples pre').first().innerText(), /<script>window.__pwned=1<\/script>/);
    const charts = page.locator('svg.chart');
    assert.ok((await charts.count()) >= 6, `only ${await charts.count()} charts`);
    writeFileSync(join(ART, 'report.png'), new Uint8Array(await page.screenshot({ fullPage: true })));
    for (const i of [0, 2, 4]) {
      // loss, gradient heatmap, spectra
      const k = ink(await charts.nth(i).screenshot());
      assert.ok(k.inked > 0.03 && k.colors > 8, `report chart ${i} looks blank: ${JSON.stringify(k)}`);
    }
    const heat = ink(await page.locator('#gradflow svg.chart').first().screenshot());
    assert.ok(heat.inked > 0.4 && heat.colors > 30, `heatmap looks blank: ${JSON.stringify(heat)}`);

    // The demo: trains an RNN on adding and draws the curves while it trains.
    await page.goto(`${base}/demo/index.html`);
    await page.selectOption('#cell', 'rnn');
    await page.fill('#T', '20');
    await page.fill('#hidden', '16');
    await page.click('#start');
    await page.waitForFunction(
      () => {
        const d = (window as unknown as { __demo?: { step: number; flowMeasurements: number } }).__demo;
        return !!d && d.step >= 20 && d.flowMeasurements >= 2;
      },
      null,
      { timeout: 180_000 },
    );
    const st = await page.evaluate(
      () => (window as unknown as { __demo: { step: number; loss: number; backend: string } }).__demo,
    );
    assert.ok(Number.isFinite(st.loss) && st.loss > 0 && st.loss < 1, `loss ${st.loss}`);
    await page.click('#stop');
    await page.waitForFunction(() => !(window as unknown as { __demo: { running: boolean } }).__demo.running);
    writeFileSync(join(ART, 'demo.png'), new Uint8Array(await page.screenshot({ fullPage: true })));
    for (const id of ['loss', 'flow', 'gnorm']) {
      const k = ink(await page.locator(`#${id}`).screenshot());
      assert.ok(k.inked > 0.02 && k.colors > 4, `demo canvas #${id} looks blank: ${JSON.stringify(k)}`);
    }
    assert.match(await page.locator('#status').innerText(), /step \d+, loss/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
