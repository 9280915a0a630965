// Regenerates docs/jupyterlab-table.png: the HELK walkthrough's Part 4 join table in JupyterLab.
//   cd tests/browser && node tools/docs-screenshot.mjs
import fs from 'node:fs';
import path from 'node:path';
import * as L from '../lib.mjs';

const nbDir = path.join(L.root, 'notebooks');
const files = {
  'notebooks/01-helk-seed-walkthrough.ipynb': fs.readFileSync(path.join(nbDir, '01-helk-seed-walkthrough.ipynb')),
  'notebooks/data/empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip': fs.readFileSync(path.join(nbDir, 'data', 'empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip')),
};
const j = await L.startJupyter('lab', files);
const browser = await L.launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 620 } });
  await L.openNotebook(page, j, 'lab', 'notebooks/01-helk-seed-walkthrough.ipynb');
  await L.menu(page, 'Edit', 'Clear Outputs of All Cells');
  await L.runAll(page);
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  const last = cells.nth((await cells.count()) - 1);
  await last.locator('table').first().waitFor({ timeout: 60_000 });
  await last.evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+b'); // hide the file browser: room for the table
  await page.waitForTimeout(500);
  await last.evaluate((el) => el.scrollIntoView({ block: 'end' }));
  const out = path.join(L.root, 'docs', 'jupyterlab-table.png');
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await j.stop();
}
