// The sanitizer of `gohunt run`'s HTML report, in Chromium: cells display the published
// mutation-XSS and namespace-confusion payloads (and outputs that try to swallow or hide what
// follows them) through the kernel, `gohunt run` writes the report, and Chromium parses it. The
// rendered page must hold no live event handler, script, script URL or foreign (SVG/MathML)
// element in an output, and the marker after every hostile output must still render. The page is
// also opened with its Content-Security-Policy removed: no handler may fire even then, because the
// sanitizer must not rely on the CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as L from './lib.mjs';

const gohunt = process.env.GOHUNT_BIN || path.join(L.root, 'bin', 'gohunt');

// The same list as playbook/html_test.go's mxss, plus outputs that try to take over the page.
const payloads = [
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(2)&gt;">',
  '<svg></p><style><a id="</style><img src=1 onerror=alert(3)>">',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(4)>',
  '<math><mi><table><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(5) src=1>">',
  '<noscript><p title="</noscript><img src=x onerror=alert(6)>">',
  '<svg><style><img src=x onerror=alert(7)></style></svg>',
  '<math><style><img src=x onerror=alert(8)></style></math>',
  '<svg><foreignObject><img src=x onerror=alert(9)></foreignObject></svg>',
  '<svg><![CDATA[><img src=x onerror=alert(10)>]]></svg>',
  '<!-- --!><img src=x onerror=alert(11)> -->',
  '<select><template><style><!--</style><a rel="--></style></template></select><img src=x onerror=alert(12)>">',
  '<xmp><img src=x onerror=alert(13)></xmp>',
  '<template><img src=x onerror=alert(14)></template>',
  '<svg><a><animate attributeName=href values=javascript:alert(15) /><text x=20 y=20>t</text></a></svg>',
  '<a href="javascript&colon;alert(16)">x</a>',
  '<table><td><svg><foreignobject><img src=x onerror=alert(17)>',
  '<img src=x onerror=alert(18)//',
  '</div></section></main><img src=x onerror=alert(19)>',
  '<details open ontoggle=alert(20)>',
  '<plaintext><b>rest',
  '<table><tr><td>an unclosed table',
  '<style>main,body{display:none}</style>',
  '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:#fff">cover</div>',
  '<textarea>',
  '<title>',
  '<!--',
];

function goString(s) {
  assert.ok(!s.includes('`'), 'payloads are Go raw strings');
  return '`' + s + '`';
}

test('hostile HTML outputs in a gohunt run report: nothing live, nothing after them lost', async () => {
  assert.ok(fs.existsSync(gohunt), `${gohunt} missing: run make setup`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gohunt-sanitizer-'));
  const cells = [];
  payloads.forEach((p, i) => {
    cells.push(`display.HTML(${goString(p)})`);
    cells.push(`display.Markdown(${goString(p)})`);
    cells.push(`display.HTML(\`<p class="after">after ${i}</p>\`)`);
  });
  fs.writeFileSync(path.join(dir, 'hostile.ipynb'), L.notebookJSON(cells));
  const report = path.join(dir, 'report.html');
  execFileSync(gohunt, ['run', '-q', path.join(dir, 'hostile.ipynb'), '-o', path.join(dir, 'out.ipynb'), '--html', report],
    { stdio: 'inherit' });
  // The same report without its CSP: only the sanitizer stands between the payloads and Chromium.
  const bare = path.join(dir, 'report-no-csp.html');
  const html = fs.readFileSync(report, 'utf8');
  const noCSP = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
  assert.notEqual(noCSP, html, 'the report carries a CSP meta element');
  fs.writeFileSync(bare, noCSP);

  const browser = await L.launchBrowser();
  try {
    for (const file of [report, bare]) {
      const page = await L.newPage(browser);
      const dialogs = [];
      page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
      await page.goto(`file://${file}`);
      await page.waitForLoadState('load');
      await page.waitForTimeout(500); // let failed image loads fire their error events
      const info = await page.evaluate(() => {
        const xhtml = 'http://www.w3.org/1999/xhtml';
        const live = [];
        for (const el of document.querySelectorAll('main *')) {
          if (el.namespaceURI !== xhtml) live.push(`foreign <${el.localName}>`);
          const tag = el.localName;
          if (['script', 'style', 'iframe', 'object', 'embed', 'form', 'template', 'plaintext', 'xmp', 'textarea', 'title', 'base', 'meta', 'link'].includes(tag)) {
            live.push(`<${tag}>`);
          }
          for (const a of el.attributes) {
            const v = a.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
            if (a.name.toLowerCase().startsWith('on')) live.push(`<${tag} ${a.name}>`);
            if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name.toLowerCase()) && v.startsWith('javascript:')) {
              live.push(`<${tag} ${a.name}=${a.value}>`);
            }
          }
        }
        const after = [...document.querySelectorAll('main .cell .output p.after')].map((p) => ({
          text: p.textContent,
          visible: p.checkVisibility() && p.getBoundingClientRect().height > 0,
          // the marker is not covered: the element at its centre is the marker itself
          onTop: (() => {
            p.scrollIntoView();
            const r = p.getBoundingClientRect();
            return document.elementFromPoint(r.left + 2, r.top + r.height / 2) === p;
          })(),
        }));
        return { live, after, cells: document.querySelectorAll('main section.cell').length };
      });
      assert.deepEqual(info.live, [], `live markup in ${path.basename(file)}`);
      assert.deepEqual(dialogs, [], `dialogs in ${path.basename(file)}`);
      assert.equal(info.cells, cells.length, 'every cell renders as a section');
      assert.deepEqual(info.after.map((a) => a.text), payloads.map((_, i) => `after ${i}`), 'every marker after a hostile output renders');
      for (const [i, a] of info.after.entries()) {
        assert.ok(a.visible && a.onTop, `marker ${i} after ${JSON.stringify(payloads[i])} is hidden or covered`);
      }
      assert.deepEqual(page.errors, []);
      if (file === report) {
        fs.mkdirSync(L.artifacts, { recursive: true });
        await page.screenshot({ path: path.join(L.artifacts, 'report-sanitizer.png'), fullPage: false });
      }
      await page.context().close();
    }
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
