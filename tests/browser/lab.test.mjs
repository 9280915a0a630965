// JupyterLab 4 and Notebook 7 in headless Debian Chromium, driving the real gohunt kernel as a
// hunter does: run all cells, read the rendered table, complete, inspect, interrupt, restart.
// Screenshots go to artifacts/ (gitignored; CI keeps them as test artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as L from './lib.mjs';

const data = (f) => path.join(L.root, 'testdata', 'mordor', f);

// The fixture reads the synthetic legacy-layout file, whose PowerShell 4104 events carry hostile
// script text: 6 such events, so the table has 6 rows.
const fixture = L.notebookJSON([
  { md: '# gohunt browser test\nHostile event data must render as text.' },
  `events := hunt.Read(${JSON.stringify(data('synthetic_legacy_winlogbeat6.tar.gz'))})\nevents.Count()`,
  'events.Where(hunt.Col("event_id").Eq(4104)).Select("computer_name", "event_data.ScriptBlockText")',
]);

let jlab, browser;
before(async () => {
  jlab = await L.startJupyter('lab', { 'hunt.ipynb': fixture });
  browser = await L.launchBrowser();
});
after(async () => {
  await browser?.close();
  await jlab?.stop();
});

// tableCheck asserts the last code cell shows the hunt table: 6 body rows, the "6 rows" summary,
// the script text visible as text, and no script element or handler created from the data.
async function tableCheck(page) {
  const out = page.locator('.jp-Notebook .jp-CodeCell').nth(1).locator('.jp-OutputArea-output');
  await out.locator('table').first().waitFor({ timeout: 60_000 });
  const info = await out.evaluate((el) => ({
    rows: el.querySelectorAll('table tbody tr').length,
    text: el.innerText,
    scripts: el.querySelectorAll('script').length,
    imgs: el.querySelectorAll('img').length,
    cells: [...el.querySelectorAll('td')].map((td) => td.textContent),
  }));
  assert.equal(info.rows, 6, 'six 4104 events in the table');
  assert.match(info.text, /6 rows, 2 columns/);
  assert.ok(info.cells.some((t) => t.includes('<script>alert(4)</script>')), 'script text shown as text');
  assert.equal(info.scripts, 0, 'no <script> element made from data');
  assert.equal(info.imgs, 0, 'no <img onerror> element made from data');
  return info;
}

test('JupyterLab: run all, table, escaping, completion, docs, interrupt, restart', async () => {
  const page = await L.newPage(browser);
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await L.openNotebook(page, jlab, 'lab', 'hunt.ipynb');
  await L.runAll(page);
  const outs = await L.cellOutputs(page);
  assert.match(outs[0], /30/, 'events.Count() shows 30');
  await tableCheck(page);
  assert.deepEqual(dialogs, [], 'no alert() ran');
  await L.shot(page, 'lab-1-table');

  // Completion after "hunt." offers hunt's functions.
  await L.appendCell(page, 'hunt.');
  await page.keyboard.press('Tab');
  await page.locator('.jp-Completer:not(.lm-mod-hidden)').waitFor({ timeout: 20_000 });
  const items = await page.locator('.jp-Completer-item').evaluateAll((els) =>
    els.map((e) => (e.querySelector('.jp-Completer-match') || e).textContent.trim()),
  );
  for (const want of ['Read', 'SQL', 'Col']) {
    assert.ok(items.some((i) => i === want || i === `hunt.${want}`), `completion offers ${want}: ${items.join(' ')}`);
  }
  await L.shot(page, 'lab-2-completion');
  await page.keyboard.press('Escape');

  // Shift-Tab on hunt.Read shows its doc comment.
  await page.keyboard.type('Read(');
  await page.keyboard.press('Shift+Tab');
  const tip = page.locator('.jp-Tooltip');
  await tip.waitFor({ timeout: 20_000 });
  const tipText = await tip.innerText();
  assert.match(tipText, /Read reads events from a local file/, `tooltip: ${tipText.slice(0, 200)}`);
  await L.shot(page, 'lab-3-tooltip');
  await page.keyboard.press('Escape');

  // Interrupt stops a cell that would run forever.
  const loop = await L.appendCell(page, 'n := 0\nfor {\n\tn++\n}');
  await L.runFocused(page);
  await page.waitForFunction(() => document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'busy', null, { timeout: 20_000 });
  await page.waitForTimeout(1000);
  const t0 = Date.now();
  await L.menu(page, 'Kernel', 'Interrupt Kernel');
  await L.waitIdle(page, 20_000);
  const interruptMs = Date.now() - t0;
  const loopOut = await loop.locator('.jp-OutputArea').innerText();
  assert.match(loopOut, /interrupt/i, `the loop cell reports the interrupt: ${loopOut}`);
  await L.shot(page, 'lab-4-interrupted');
  console.log(`interrupt took ${interruptMs} ms`);

  // The session survived the interrupt: events is still defined.
  const alive = await L.appendCell(page, 'events.Count()');
  await L.runUntil(page, alive, /30/, 30_000);

  // Restart: a fresh session (events is gone), and the kernel answers again.
  await L.menu(page, 'Kernel', 'Restart Kernel');
  await page.locator('.jp-Dialog').waitFor({ timeout: 10_000 });
  await page.locator('.jp-Dialog button.jp-mod-accept').click();
  await page.locator('.jp-Dialog').waitFor({ state: 'detached', timeout: 10_000 });
  await L.waitIdle(page, 60_000);
  const after1 = await L.appendCell(page, 'again := events');
  await L.runUntil(page, after1, /undefined: events/, 60_000);
  const after2 = await L.appendCell(page, 'hunt.Read(' + JSON.stringify(data('synthetic_legacy_winlogbeat6.tar.gz')) + ').Count()');
  await L.runUntil(page, after2, /30/, 60_000);
  await L.shot(page, 'lab-5-restarted');
  assert.deepEqual(page.errors, [], 'no page errors');
  await page.context().close();
});

test('Notebook 7: run a notebook and see the table', async () => {
  const nb7 = await L.startJupyter('notebook', { 'hunt.ipynb': fixture });
  try {
    const page = await L.newPage(browser);
    await L.openNotebook(page, nb7, 'notebook', 'hunt.ipynb');
    await L.runAll(page);
    await tableCheck(page);
    await L.shot(page, 'notebook7-table');
    await page.context().close();
  } finally {
    await nb7.stop();
  }
});
