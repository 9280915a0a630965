// Shared helpers for the browser tests: start a real Jupyter server from the project venv on
// 127.0.0.1 with a token and a throw-away root directory, launch Debian Chromium through
// playwright-core, and drive notebooks the way a user does (menus, keyboard, toolbar).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const venv = path.join(root, '.venv');
export const artifacts = path.join(here, 'artifacts');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// CHROMIUM_ARGS are the flags the project runs Chromium with (headless, root in CI, no network
// chatter of its own).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// startJupyter starts `jupyter lab` (app "lab") or `jupyter notebook` (app "notebook") from .venv
// with a random token and port, a temporary root dir holding `files` ({name: contents}), and
// temporary config/runtime/settings dirs so nothing of the user's ~/.jupyter leaks in. The kernelspec
// comes from the venv (install.sh --sys-prefix). Returns {url, token, dir, log, stop}.
export async function startJupyter(app, files = {}) {
  const jupyter = path.join(venv, 'bin', 'jupyter');
  if (!fs.existsSync(jupyter)) {
    throw new Error(`${jupyter} is missing: run "make setup" (scripts/venv.sh) first`);
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `gohunt-${app}-`));
  const dir = path.join(base, 'root');
  const settings = path.join(base, 'settings');
  fs.mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  }
  // No news or update checks: the page must not reach out, and no toast may cover the notebook.
  const notif = path.join(settings, '@jupyterlab', 'apputils-extension');
  fs.mkdirSync(notif, { recursive: true });
  fs.writeFileSync(
    path.join(notif, 'notification.jupyterlab-settings'),
    JSON.stringify({ fetchNews: 'false', checkForUpdates: false }),
  );
  const token = crypto.randomBytes(24).toString('hex');
  const port = await freePort();
  const env = {
    ...process.env,
    PATH: `${path.join(root, 'bin')}:${path.join(venv, 'bin')}:${process.env.PATH}`,
    JUPYTER_CONFIG_DIR: path.join(base, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(base, 'runtime'),
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTERLAB_WORKSPACES_DIR: path.join(base, 'workspaces'),
    JUPYTER_PLATFORM_DIRS: '1',
  };
  const args = [
    app,
    '--no-browser',
    '--allow-root',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${dir}`,
    '--LabApp.news_url=None',
    '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  ];
  const log = [];
  const proc = spawn(jupyter, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  proc.on('exit', (code, sig) => {
    exited = `exited with ${code ?? sig}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`jupyter ${app} ${exited}:\n${log.join('')}`);
    try {
      const r = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`jupyter ${app} did not answer on ${url} within 60 s:\n${log.join('')}`);
    }
    await sleep(250);
  }
  const stop = async () => {
    if (exited) return;
    proc.kill('SIGTERM');
    for (let i = 0; i < 40 && !exited; i++) await sleep(250);
    if (!exited) proc.kill('SIGKILL');
    fs.rmSync(base, { recursive: true, force: true });
  };
  return { url, token, dir, log, stop, api: (p, init = {}) => apiCall(url, token, p, init) };
}

async function apiCall(url, token, p, init) {
  const r = await fetch(`${url}${p}`, {
    ...init,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json', ...(init.headers || {}) },
  });
  if (!r.ok) throw new Error(`${init.method || 'GET'} ${p}: HTTP ${r.status}: ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

// launchBrowser starts headless Debian Chromium through playwright-core.
export async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install Debian chromium (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

// newPage opens a page with a fixed viewport and collects console errors and page errors, so a
// test can assert that nothing on the page failed.
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

// shot saves a full-page PNG under artifacts/ and returns its path.
export async function shot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

// notebookJSON builds an nbformat 4.5 notebook for the gohunt kernel from cell specs: a string is
// a code cell; {md: "..."} a Markdown cell; {code, tags} a tagged code cell.
export function notebookJSON(cells, kernel = { name: 'gohunt', display_name: 'Go (hunt)', language: 'go' }) {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: kernel, language_info: { name: kernel.language } },
      cells: cells.map((c, i) => {
        const id = `cell-${i}`;
        if (typeof c === 'string') c = { code: c };
        if (c.md !== undefined) return { id, cell_type: 'markdown', metadata: {}, source: c.md };
        return {
          id,
          cell_type: 'code',
          metadata: c.tags ? { tags: c.tags } : {},
          source: c.code,
          outputs: [],
          execution_count: null,
        };
      }),
    },
    null,
    1,
  );
}

// ---- JupyterLab / Notebook 7 page helpers (both use the same notebook widgets) ----

// openNotebook starts a kernel session for name through the REST API, opens the notebook in app
// ("lab" or "notebook") and waits until the page shows the notebook attached to that kernel and
// idle. If JupyterLab still races its kernelspec list into a "Select Kernel" dialog, the dialog
// already proposes the notebook's kernel: accept it, as a user would.
export async function openNotebook(page, j, app, name, kernel = 'gohunt', display = 'Go (hunt)') {
  await j.api('/api/sessions', {
    method: 'POST',
    body: JSON.stringify({ path: name, name, type: 'notebook', kernel: { name: kernel } }),
  });
  const route = app === 'lab' ? `/lab/tree/${name}` : `/notebooks/${name}`;
  await page.goto(`${j.url}${route}?token=${j.token}`);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = await page.evaluate((display) => {
      const dialog = document.querySelector('.jp-Dialog');
      const names = [...document.querySelectorAll('.jp-KernelName, .jp-Toolbar-kernelName')].map((e) => e.textContent.trim());
      const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
      const cells = document.querySelectorAll('.jp-Notebook .jp-Cell').length;
      return {
        dialog: dialog ? dialog.innerText : null,
        ready: cells > 0 && names.includes(display) && ind && ind.getAttribute('data-status') === 'idle',
      };
    }, display);
    if (state.dialog && /Select Kernel/.test(state.dialog)) {
      const chosen = await page.locator('.jp-Dialog select').inputValue().catch(() => '');
      if (chosen && chosen !== kernel && !chosen.includes(kernel)) {
        throw new Error(`Select Kernel dialog proposes ${chosen}, not ${kernel}`);
      }
      await page.locator('.jp-Dialog button.jp-mod-accept').click();
    } else if (state.dialog) {
      throw new Error(`unexpected dialog: ${state.dialog}`);
    } else if (state.ready) {
      break;
    }
    if (Date.now() > deadline) {
      await shot(page, `open-timeout-${app}`);
      throw new Error(`${name} not attached to an idle ${display} kernel within 90 s (${JSON.stringify(state)})`);
    }
    await page.waitForTimeout(250);
  }
  await waitIdle(page, 60_000);
}

// kernelStatus returns the notebook's execution indicator status ("idle", "busy", ...).
export async function kernelStatus(page) {
  return page.evaluate(() => {
    const el = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return el ? el.getAttribute('data-status') : null;
  });
}

// waitIdle waits until the kernel reports idle and no cell shows the running prompt [*].
export async function waitIdle(page, timeout = 120_000) {
  await page.waitForFunction(
    () => {
      const el = document.querySelector('.jp-Notebook-ExecutionIndicator');
      if (!el || el.getAttribute('data-status') !== 'idle') return false;
      return ![...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')].some((p) =>
        p.textContent.includes('*'),
      );
    },
    null,
    { timeout, polling: 200 },
  );
}

// menu clicks a top-level menu item and then an entry of it, by their visible labels.
export async function menu(page, top, entry) {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${entry}`) }).first().click();
}

// runAll runs every cell through the Run menu and waits for the kernel to finish.
export async function runAll(page, timeout = 180_000) {
  await menu(page, 'Run', 'Run All Cells');
  await page.waitForTimeout(500);
  await waitIdle(page, timeout);
}

// cellOutputs returns, per code cell, the text of its output area.
export async function cellOutputs(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map((c) => {
      const o = c.querySelector('.jp-OutputArea');
      return o ? o.innerText : '';
    }),
  );
}

// cell returns a locator for the i-th cell (0-based, all cell types).
export function cell(page, i) {
  return page.locator('.jp-Notebook .jp-Cell').nth(i);
}

// appendCell adds a code cell below the last one with source typed into its editor, and leaves
// the editor focused with the cursor at the end.
export async function appendCell(page, source) {
  const n = await page.locator('.jp-Notebook .jp-Cell').count();
  await cell(page, n - 1).locator('.jp-InputArea-prompt').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await page.waitForFunction((n) => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n + 1, n);
  const c = cell(page, n);
  await c.locator('.cm-content').click();
  await page.keyboard.insertText(source);
  return c;
}

// runCell runs the focused cell with Shift-Enter... but stays on it (Ctrl-Enter).
export async function runFocused(page) {
  await page.keyboard.press('Control+Enter');
}

// runUntil runs the focused cell (Ctrl-Enter) and waits until its output text matches re.
export async function runUntil(page, c, re, timeout = 60_000) {
  await page.keyboard.press('Control+Enter');
  const out = c.locator('.jp-OutputArea');
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = (await out.count()) ? await out.innerText() : '';
    if (re.test(text)) return text;
    await page.waitForTimeout(200);
  }
  await shot(page, 'run-until-timeout');
  throw new Error(`cell output never matched ${re}: ${JSON.stringify(text)}`);
}
