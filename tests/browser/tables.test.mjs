// A wide Mordor frame, a timeline and a failing Read as JupyterLab renders them (issue 13): the
// table stays bounded (first and last columns, a "…" column, a note of the hidden ones, one line
// per row, numbers right-aligned), the timeline names its event lanes, and a Read of a missing
// file whose path holds markup fails the cell with the path shown as text.
// Screenshots: artifacts/tables-wide.png, tables-timeline.png, tables-failing-read.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const wmi = path.join(L.root, 'notebooks', 'data', 'empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip');
const missing = 'no/such/<img src=x onerror=alert(7)>.zip';
const fixture = L.notebookJSON([
  `ev := hunt.Read(${JSON.stringify(wmi)})\nev`,
  'ev.Timeline("@timestamp", "EventID")',
  'ev.Select("@timestamp", "EventID", "Channel", "Hostname", "Image", "User").Show(hunt.MaxColumns(4), hunt.MaxRows(3), hunt.MaxColWidth(0))',
  'hunt.SetDisplay(hunt.MaxColumns(6), hunt.MaxColWidth(12))\nev.Where(hunt.Col("EventID").Eq(1)).Select("EventID", "Image", "CommandLine", "Hostname", "User", "ProcessId", "ParentImage")',
  'hunt.Register("events", ev)',
  '%%sql\nSELECT decode_command(CommandLine) AS script FROM events WHERE decode_command(CommandLine) IS NOT NULL LIMIT 2',
  'hunt.FromRows([]map[string]any{{"Image": "invoice\u202egpj.exe"}})',
  `hunt.Read(${JSON.stringify(missing)})`, // last: Run All stops at a failing cell
]);

let jlab, browser;
before(async () => {
  jlab = await L.startJupyter('lab', { 'tables.ipynb': fixture });
  browser = await L.launchBrowser();
});
after(async () => {
  await browser?.close();
  await jlab?.stop();
});

async function shoot(loc, name) {
  fs.mkdirSync(L.artifacts, { recursive: true });
  await loc.scrollIntoViewIfNeeded();
  await loc.screenshot({ path: path.join(L.artifacts, `${name}.png`) });
}

test('JupyterLab: a wide Mordor frame stays bounded, the timeline names events, a failing Read is text', async () => {
  const page = await L.newPage(browser);
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await L.openNotebook(page, jlab, 'lab', 'tables.ipynb');
  await L.runAll(page);
  const cells = page.locator('.jp-Notebook .jp-CodeCell');

  // The wide frame: 186 columns, 20 shown with a … column; rows one line tall.
  const wide = cells.nth(0).locator('.jp-OutputArea-output').last();
  await wide.locator('table').first().waitFor({ timeout: 120_000 });
  const t = await wide.evaluate((el) => {
    const table = el.querySelector('table');
    const rows = [...table.querySelectorAll('tbody tr')];
    const heights = rows.map((r) => r.getBoundingClientRect().height);
    const num = table.querySelector('td.n');
    const str = table.querySelector('td.s');
    return {
      width: table.getBoundingClientRect().width,
      headers: [...table.querySelectorAll('thead th')].map((th) => th.textContent),
      rows: rows.length,
      maxRow: Math.max(...heights),
      minRow: Math.min(...heights),
      numAlign: num && getComputedStyle(num).textAlign,
      strAlign: str && getComputedStyle(str).textAlign,
      wrap: str && getComputedStyle(str).whiteSpace,
      text: el.innerText,
    };
  });
  assert.equal(t.headers.length, 21, `20 columns and the … column: ${t.headers.join(' | ')}`);
  assert.equal(t.headers[10], '…', 'the … column stands after the first 10');
  assert.equal(t.rows, 20);
  assert.match(t.text, /showing the first 20 of 6383 rows, 186 columns \(166 hidden;/);
  assert.ok(t.width < 5000, `table ${t.width}px wide (was 21,000 px)`);
  assert.ok(t.maxRow < 2 * t.minRow + 4, `rows one line tall: ${t.minRow}..${t.maxRow}px`);
  assert.equal(t.numAlign, 'right', 'numbers right-aligned');
  assert.equal(t.strAlign, 'left', 'strings left-aligned');
  assert.equal(t.wrap, 'pre', 'cells do not wrap');
  await shoot(wide, 'tables-wide');

  // The timeline: a decoded SVG picture whose legend names the Sysmon and Security events.
  const tl = cells.nth(1).locator('.jp-OutputArea-output').last();
  await tl.locator('img').first().waitFor({ timeout: 60_000 });
  const svg = await tl.evaluate((el) => {
    const img = el.querySelector('img');
    return { ok: img.naturalWidth > 0, text: atob(img.src.split(',')[1]) };
  });
  assert.ok(svg.ok, 'timeline image decoded');
  assert.match(svg.text, />10 ProcessAccess \([0-9,]+\)</, 'legend names Sysmon 10');
  assert.match(svg.text, />4688 ProcessCreate \([0-9,]+\)|>4624 Logon \([0-9,]+\)|>4658 HandleClosed \([0-9,]+\)/, 'legend names Security events');
  await shoot(tl, 'tables-timeline');

  // The failing Read: the cell fails with the path as text, no element made from it.
  const bad = cells.nth(7).locator('.jp-OutputArea-output').last();
  await bad.waitFor({ timeout: 60_000 });
  const err = await bad.evaluate((el) => ({ text: el.innerText, imgs: el.querySelectorAll('img').length, html: el.innerHTML }));
  assert.ok(err.text.includes(missing), `error names the path as text: ${err.text}`);
  assert.equal(err.imgs, 0, 'no <img> element from the path');
  await shoot(bad, 'tables-failing-read');

  // Show with options: a rich table of 4 columns (and the … column) and 3 rows.
  const shown = await cells.nth(2).locator('.jp-OutputArea-output').last().evaluate((el) => {
    const time = el.querySelector('tbody tr td');
    return {
      headers: el.querySelectorAll('thead th').length,
      rows: el.querySelectorAll('tbody tr').length,
      text: el.innerText,
      timeHeader: el.querySelector('thead th').textContent,
      timeText: time.textContent,
      timeClass: time.className,
      timeWrap: getComputedStyle(time).whiteSpace,
    };
  });
  assert.deepEqual([shown.headers, shown.rows], [5, 3], `Show(MaxColumns(4), MaxRows(3)): ${shown.text}`);
  // Event times are timestamps: typed, shown as 2020-09-21 04:14:53.715 (UTC), never wrapped.
  assert.equal(shown.timeHeader, '@timestamptimestamp', 'the @timestamp column is a timestamp');
  assert.match(shown.timeText, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?$/, `time shown as ${shown.timeText}`);
  assert.equal(shown.timeClass, 't');
  assert.equal(shown.timeWrap, 'nowrap', 'time cells never wrap');
  // The session's limits: 6 of 7 columns, values cut at 12 characters with the whole in the title.
  const limited = await cells.nth(3).locator('.jp-OutputArea-output').last().evaluate((el) => ({
    headers: [...el.querySelectorAll('thead th')].map((th) => th.textContent),
    cut: [...el.querySelectorAll('td[title]')].map((td) => [td.textContent, td.title]),
    text: el.innerText,
  }));
  assert.equal(limited.headers.length, 7, `SetDisplay(MaxColumns(6)): ${limited.headers.join(' | ')}`);
  assert.match(limited.text, /7 columns \(1 hidden;/);
  assert.ok(limited.cut.length > 0 && limited.cut.every(([t, title]) => [...t].length === 12 && t.endsWith('…') && title.startsWith(t.slice(0, -1)) && title.length > 12),
    `cut values: ${JSON.stringify(limited.cut.slice(0, 3))}`);
  // decode_command in %%sql: the Empire stager's -enc argument read as a PowerShell script.
  const decoded = await cells.nth(5).locator('.jp-OutputArea-output').last().innerText();
  assert.match(decoded, /2 rows, 1 column/);
  assert.match(decoded, /\$|IF\(|System\./i, `decoded scripts: ${decoded}`);
  // A right-to-left override is shown as an escape, never applied.
  const bidi = await cells.nth(6).locator('.jp-OutputArea-output').last().evaluate((el) => el.innerHTML);
  assert.ok(bidi.includes('invoice\\u202egpj.exe') && !bidi.includes('\u202e'), `bidi: ${bidi}`);
  await shoot(cells.nth(3).locator('.jp-OutputArea-output').last(), 'tables-limits');

  await L.shot(page, 'tables-notebook');
  assert.deepEqual(dialogs, [], 'no alert() ran');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
