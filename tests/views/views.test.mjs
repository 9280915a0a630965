// Browser checks of the gohunt views (issue 6): the views of the shipped sample (and of the
// shared datasets when present) are rendered into a notebook by tests/views/gen, opened in
// JupyterLab (trusted, as outputs of a live session are, and untrusted, as a shared playbook
// is) and exported by nbconvert; each output is screenshotted into tests/views/artifacts/ and
// its DOM checked: pictures present, hostile strings shown as text, no script or image elements.
// Uses the browser harness of tests/browser (playwright-core + Debian Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJupyter, launchBrowser, newPage, root, venv } from '../browser/lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });

function sharedDir() {
  const d = process.env.HUNT_SHARED_DATA || path.resolve(root, '..', 'shared', 'datasets');
  if (fs.existsSync(path.join(d, 'empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip'))) return d;
  // Where the shared datasets are required (.ci/run sets HUNT_REQUIRE_SHARED), their absence fails.
  if (process.env.HUNT_REQUIRE_SHARED || process.env.CI || process.env.HUNT_SHARED_DATA) {
    throw new Error(`shared datasets not found at ${d}: the shared-data views cannot be tested (HUNT_REQUIRE_SHARED, CI or HUNT_SHARED_DATA is set)`);
  }
  console.log(`views: shared datasets not found at ${d}: the shared-data views are skipped`);
  return '';
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gohunt-views-'));
const nbPath = path.join(work, 'views.ipynb');
const shared = sharedDir();
execFileSync('go', ['run', './tests/views/gen', '-o', nbPath, '-root', root, ...(shared ? ['-shared', shared] : [])], {
  cwd: root,
  stdio: 'inherit',
});
const nb = JSON.parse(fs.readFileSync(nbPath, 'utf8'));
const sources = nb.cells.map((c) => c.source);
const jenv = { ...process.env, JUPYTER_PLATFORM_DIRS: '1' };

// What each output must show, by cell source.
function expectFor(src) {
  if (src.includes('ProcessTree')) return { sel: '.gohunt-ptree details', what: 'process tree' };
  return { sel: 'figure img[src^="data:image/svg+xml;base64,"]', what: 'chart' };
}

async function assertPicture(out, src, where) {
  const { sel, what } = expectFor(src);
  const el = out.locator(sel).first();
  assert.ok((await out.locator(sel).count()) > 0, `${where}${src}: no ${what} (${sel}) in the output`);
  if (what === 'chart') {
    const w = await el.evaluate(async (img) => {
      await img.decode();
      return img.naturalWidth;
    });
    assert.ok(w > 100, `${where}${src}: chart image not decoded (naturalWidth ${w})`);
  }
}

async function checkOutputs(page, prefix, trusted) {
  const outs = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell .jp-OutputArea-output');
  await outs.nth(sources.length - 1).waitFor({ timeout: 60_000 });
  assert.equal(await outs.count(), sources.length);
  for (let i = 0; i < sources.length; i++) {
    const out = outs.nth(i);
    await out.scrollIntoViewIfNeeded();
    const file = path.join(artifacts, `${prefix}-${i}.png`);
    await out.screenshot({ path: file });
    const dom = await out.evaluate((el) => ({
      scripts: el.querySelectorAll('script').length,
      imgs: [...el.querySelectorAll('img')].filter((i) => !(i.src || '').startsWith('data:image/svg')).length,
      handlers: [...el.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      text: el.innerText,
      html: el.innerHTML.length,
    }));
    assert.equal(dom.scripts, 0, `${sources[i]}: script element in output`);
    assert.equal(dom.handlers, 0, `${sources[i]}: event handler attribute in output`);
    assert.equal(dom.imgs, 0, `${sources[i]}: image element from data in output`);
    // Trusted or not (JupyterLab sanitizes untrusted HTML), the picture must be there and drawn.
    await assertPicture(out, sources[i], trusted ? '' : 'untrusted ');
    if (sources[i].startsWith('hostile')) {
      assert.match(dom.text, /<script>alert\(1\)<\/script><\/details><\/summary>/, 'hostile command line not shown as text');
      assert.match(dom.text, /<img src=x onerror=alert\(1\)>\.exe/, 'hostile image name not shown as text');
    }
  }
}

test('views in JupyterLab (trusted and untrusted) and in nbconvert HTML', { timeout: 600_000 }, async () => {
  const body = fs.readFileSync(nbPath, 'utf8');
  // A trusted copy (as the outputs of a live session are) and an untrusted one (a shared file;
  // its content differs, so that the trust database's signature of the first does not cover it).
  const copy = JSON.parse(body);
  copy.metadata.gohunt_views_copy = 'untrusted';
  const j = await startJupyter('lab', { 'views.ipynb': body, 'shared-views.ipynb': JSON.stringify(copy) });
  const browser = await launchBrowser();
  try {
    execFileSync(path.join(venv, 'bin', 'jupyter'), ['trust', path.join(j.dir, 'views.ipynb')], { env: jenv, stdio: 'inherit' });
    const page = await newPage(browser);
    await page.goto(`${j.url}/lab/workspaces/trusted/tree/views.ipynb?reset&token=${j.token}`);
    await checkOutputs(page, 'lab', true);
    await page.screenshot({ path: path.join(artifacts, 'lab-window.png') });

    const page2 = await newPage(browser);
    await page2.goto(`${j.url}/lab/workspaces/untrusted/tree/shared-views.ipynb?reset&token=${j.token}`);
    await checkOutputs(page2, 'lab-untrusted', false);
    const trustedFlags = await page2.evaluate(() =>
      [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')].map((e) => e.classList.contains('jp-mod-trusted')),
    );
    assert.ok(trustedFlags.every((t) => !t), 'the shared copy was rendered as trusted');
    assert.deepEqual(page.errors, [], 'page errors in JupyterLab');

    // Dark theme: the tree takes the theme's text colour (readable on the dark background), the
    // charts keep their own white background.
    const themes = path.join(path.dirname(j.dir), 'settings', '@jupyterlab', 'apputils-extension');
    fs.mkdirSync(themes, { recursive: true });
    fs.writeFileSync(path.join(themes, 'themes.jupyterlab-settings'), JSON.stringify({ theme: 'JupyterLab Dark' }));
    const dark = await newPage(browser);
    await dark.goto(`${j.url}/lab/workspaces/dark/tree/views.ipynb?reset&token=${j.token}`);
    await dark.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 60_000 });
    const darkOuts = dark.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell .jp-OutputArea-output');
    await darkOuts.nth(sources.length - 1).waitFor({ timeout: 60_000 });
    for (let i = 0; i < sources.length; i++) {
      if (!sources[i].includes('ProcessTree') && i !== 0) continue;
      const out = darkOuts.nth(i);
      await out.scrollIntoViewIfNeeded();
      await out.screenshot({ path: path.join(artifacts, `lab-dark-${i}.png`) });
      if (sources[i].includes('ProcessTree')) {
        const lum = await out.locator('.gh-img').first().evaluate((el) => {
          const [r, g, b] = getComputedStyle(el).color.match(/\d+/g).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        });
        assert.ok(lum > 0.5, `${sources[i]}: process names too dark on the dark theme (luminance ${lum.toFixed(2)})`);
      }
    }

    // nbconvert's HTML export, opened as a file with the network off.
    execFileSync(path.join(venv, 'bin', 'jupyter'), ['nbconvert', '--to', 'html', '--output-dir', work, nbPath], { env: jenv, stdio: 'inherit' });
    const page3 = await newPage(browser);
    await page3.route(/^https?:/, (r) => r.abort());
    await page3.goto('file://' + path.join(work, 'views.html'));
    const n = await page3.locator('.jp-OutputArea-output').count();
    assert.equal(n, sources.length, 'nbconvert outputs');
    for (let i = 0; i < n; i++) {
      const out = page3.locator('.jp-OutputArea-output').nth(i);
      await assertPicture(out, sources[i], 'nbconvert ');
      assert.equal(await out.locator('script').count(), 0, `nbconvert ${sources[i]}: script element`);
      await out.screenshot({ path: path.join(artifacts, `nbconvert-${i}.png`) });
    }
    assert.deepEqual(page3.errors, [], 'page errors in the nbconvert export');
  } finally {
    await browser.close();
    await j.stop();
  }
});

// The same views made by a live gohunt kernel: cells typed as a hunter types them, run in
// JupyterLab; the outputs must be the pictures (not text), a cell-defined predicate must work
// as a highlight, and a wrong column must fail the cell with the near match.
test('views from a live gohunt kernel in JupyterLab', { timeout: 600_000 }, async () => {
  const sample = path.join(root, 'testdata', 'mordor', 'empire_shell_reg_dump_sam.zip');
  const legacy = path.join(root, 'testdata', 'mordor', 'synthetic_legacy_winlogbeat6.tar.gz');
  const cells = [
    `events := hunt.Read(${JSON.stringify(sample)})`,
    'events.Timeline("@timestamp", "EventID")',
    'events.RareValues("Image").Bar()',
    'events.Histogram("ThreadID")',
    `hunt.Read(${JSON.stringify(legacy)}).ProcessTree().Highlight("on the DC", func(p *hunt.Process) bool { return strings.HasPrefix(p.Host, "DC01") && p.Name() == "powershell.exe" })`,
    'events.Timeline("@timestmp", "EventID")',
  ];
  const { notebookJSON, openNotebook, runAll } = await import('../browser/lib.mjs');
  const j = await startJupyter('lab', { 'live.ipynb': notebookJSON(cells) });
  const browser = await launchBrowser();
  try {
    const page = await newPage(browser);
    await openNotebook(page, j, 'lab', 'live.ipynb');
    await runAll(page, 300_000);
    const cellsLoc = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell');
    const outText = async (i) => cellsLoc.nth(i).locator('.jp-OutputArea').innerText();
    for (const i of [1, 2, 3]) {
      const img = cellsLoc.nth(i).locator('.jp-OutputArea-output figure img[src^="data:image/svg+xml;base64,"]');
      assert.equal(await img.count(), 1, `cell ${i} (${cells[i]}): no chart in the output: ${await outText(i)}`);
      const w = await img.evaluate(async (el) => {
        await el.decode();
        return el.naturalWidth;
      });
      assert.ok(w > 100, `cell ${i}: chart not decoded`);
      await cellsLoc.nth(i).locator('.jp-OutputArea-output').screenshot({ path: path.join(artifacts, `live-${i}.png`) });
    }
    const tree = cellsLoc.nth(4).locator('.gohunt-ptree');
    assert.equal(await tree.count(), 1, `process tree cell: ${await outText(4)}`);
    const marks = await tree.locator('.gh-hl').count();
    assert.equal(marks, 2, 'the cell-defined predicate should mark the two powershell processes on DC01');
    await cellsLoc.nth(4).locator('.jp-OutputArea-output').screenshot({ path: path.join(artifacts, 'live-4.png') });
    const err = await outText(5);
    assert.match(err, /unknown column "@timestmp"; did you mean "@timestamp"/, `wrong column: ${err}`);
    await page.screenshot({ path: path.join(artifacts, 'live-window.png') });
    assert.deepEqual(page.errors, [], 'page errors');
  } finally {
    await browser.close();
    await j.stop();
  }
});
