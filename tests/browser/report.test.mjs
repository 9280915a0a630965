// The HTML report of `gohunt run` opened in Chromium: static (no script runs, nothing fetched),
// tables and pictures render, hostile event text shows as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as L from './lib.mjs';

const gohunt = process.env.GOHUNT_BIN || path.join(L.root, 'bin', 'gohunt');

test('gohunt run report of the getting-started playbook', async () => {
  assert.ok(fs.existsSync(gohunt), `${gohunt} missing: run make setup`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gohunt-report-'));
  const report = path.join(dir, 'report.html');
  execFileSync(gohunt, ['run', '-q', path.join(L.root, 'notebooks', '00-getting-started.ipynb'),
    '-o', path.join(dir, 'out.ipynb'), '--html', report], { stdio: 'inherit' });
  const browser = await L.launchBrowser();
  try {
    const page = await L.newPage(browser);
    const dialogs = [];
    const requests = [];
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
    await page.goto(`file://${report}`);
    const info = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      tables: document.querySelectorAll('.output table').length,
      status: document.querySelector('.status')?.textContent,
      pictures: [...document.querySelectorAll('.output img')].map((i) => [i.src.slice(0, 22), i.naturalWidth]),
      cells: [...document.querySelectorAll('td')].map((td) => td.textContent),
      // Each highlighted process's outline (its box grown by outline width + offset) must lie
      // inside the visible area of its scrolling .output, or the report clips it.
      outlines: [...document.querySelectorAll('.output .gh-hl')].map((el) => {
        const out = el.closest('.output');
        const o = out.getBoundingClientRect();
        const r = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        const grow = parseFloat(cs.outlineWidth) + parseFloat(cs.outlineOffset);
        const left = o.left + out.clientLeft;
        const right = left + out.clientWidth;
        return { inside: r.left - grow >= left - 0.5 && r.right + grow <= right + 0.5, r: [r.left, r.right], box: [left, right], grow };
      }),
    }));
    assert.equal(info.scripts, 0);
    assert.ok(info.tables >= 6, `tables: ${info.tables}`);
    assert.match(info.status, /Every cell ran without error/);
    assert.ok(info.pictures.length >= 2 && info.pictures.every(([, w]) => w > 0), `pictures: ${JSON.stringify(info.pictures)}`);
    assert.ok(info.cells.some((t) => t.includes('<script>alert(4)</script>')), 'hostile text shown as text');
    assert.ok(info.outlines.length > 0, 'the report shows a highlighted process');
    for (const o of info.outlines) assert.ok(o.inside, `highlight outline clipped: ${JSON.stringify(o)}`);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(requests, [], 'the report fetches nothing');
    await page.screenshot({ path: path.join(L.artifacts, 'report-getting-started.png'), fullPage: false });
    await page.context().close();
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
