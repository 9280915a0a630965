// Screenshots of the hunt views (timeline, process tree, bars) as JupyterLab renders them,
// from the Empire WMI recording; asserts each picture rendered as static SVG/HTML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const wmi = path.join(L.root, 'notebooks', 'data', 'empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip');
const fixture = L.notebookJSON([
  `events := hunt.Read(${JSON.stringify(wmi)})\nevents.Count()`,
  'events.Timeline("@timestamp", "Channel")',
  'events.Where(hunt.Col("Hostname").Eq("WORKSTATION6.theshire.local")).\n\tProcessTree().Highlight("started by WMI", hunt.Spawned("powershell.exe", "wmiprvse.exe"))',
  'events.Where(hunt.Col("EventID").Eq(10)).RareValues("SourceImage").Bar()',
]);

let jlab, browser;
before(async () => {
  jlab = await L.startJupyter('lab', { 'views.ipynb': fixture });
  browser = await L.launchBrowser();
});
after(async () => {
  await browser?.close();
  await jlab?.stop();
});

test('JupyterLab renders the timeline, process tree and bars', async () => {
  const page = await L.newPage(browser);
  await L.openNotebook(page, jlab, 'lab', 'views.ipynb');
  await L.runAll(page);
  const outs = await L.cellOutputs(page);
  assert.match(outs[0], /6383/);
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  const names = ['views-timeline', 'views-process-tree', 'views-bars'];
  for (let i = 1; i <= 3; i++) {
    const out = cells.nth(i).locator('.jp-OutputArea-output').last();
    await out.waitFor({ timeout: 60_000 });
    await out.scrollIntoViewIfNeeded();
    const info = await out.evaluate((el) => ({
      // inline <svg>, or an SVG picture in an <img> that actually decoded
      svg: el.querySelectorAll('svg').length +
        [...el.querySelectorAll('img')].filter((i) => i.src.startsWith('data:image/svg+xml') && i.naturalWidth > 0).length,
      scripts: el.querySelectorAll('script').length,
      text: el.innerText,
    }));
    assert.equal(info.scripts, 0, 'views carry no script');
    if (i !== 2) assert.ok(info.svg > 0, `${names[i - 1]} draws SVG`);
    if (i === 2) assert.match(info.text, /powershell\.exe/i);
    const file = path.join(L.artifacts, `${names[i - 1]}.png`);
    fs.mkdirSync(L.artifacts, { recursive: true });
    await out.screenshot({ path: file });
  }
  await L.shot(page, 'views-notebook');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
