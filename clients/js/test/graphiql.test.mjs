// GraphiQL in a real browser: Debian's Chromium driven by playwright-core opens reelgraph's own
// GraphiQL page, types a trending query into the editor, runs it, and sees movie titles in the
// result pane. Every request the page makes must go to the reelgraph server itself (the assets
// are vendored; there is no CDN here). A screenshot is kept for a person to look at.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { post, startServer } from './support/server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Chromium on a machine with no network but the package registries: no background traffic.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

const QUERY = `query BrowserTrending {
  trending(window: WEEK, first: 5) {
    edges {
      node {
        title
        year
      }
    }
  }
}`;

let server;
let browser;

before(async () => {
  server = await startServer();
  if (process.env.REELGRAPH_SKIP_BROWSER !== '1') {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's chromium package (make clients does), or set CHROMIUM_PATH`,
    );
    // launch() gives Chromium a new, empty user-data-dir of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('GraphiQL runs a typed trending query and shows the titles', { timeout: 90_000 }, async (t) => {
  if (!browser) {
    t.skip('REELGRAPH_SKIP_BROWSER=1');
    return;
  }
  const { body } = await post(server.graphqlUrl, { query: QUERY });
  const titles = body.data.trending.edges.map((edge) => edge.node.title);
  assert.equal(titles.length, 5);

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const requested = [];
  const problems = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });

  try {
    await page.goto(server.graphqlUrl, { waitUntil: 'load' });
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.waitFor({ state: 'visible', timeout: 30_000 });

    // Replace the welcome query with ours, typed into the editor. insertText types the text as
    // one input, so the editor's auto-closing brackets do not double the braces.
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(QUERY);
    const typed = await editor.evaluate((element) => element.CodeMirror.getValue());
    assert.equal(typed, QUERY);

    // GraphiQL takes in an edit after a short debounce; run only once it has (it saves the
    // tab, operation name included), or the run would still name the welcome query.
    await page.waitForFunction(
      () => JSON.parse(localStorage.getItem('graphiql:tabState') ?? '{}').tabs?.[0]?.operationName === 'BrowserTrending',
      undefined,
      { timeout: 10_000 },
    );
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response .CodeMirror');
    await page.waitForFunction(
      (title) => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes(title),
      titles[0],
      { timeout: 30_000 },
    );
    const shown = await result.evaluate((element) => element.CodeMirror.getValue());
    const parsed = JSON.parse(shown);
    assert.deepEqual(
      parsed.data.trending.edges.map((edge) => edge.node.title),
      titles,
    );
    // And a person sees them: the first title is rendered in the result pane.
    await assert.doesNotReject(result.getByText(titles[0]).first().waitFor({ state: 'visible', timeout: 5_000 }));

    const folder = mkdtempSync(join(tmpdir(), 'reelgraph-graphiql-'));
    const screenshot = join(folder, 'graphiql.png');
    await page.screenshot({ path: screenshot });
    t.diagnostic(`screenshot: ${screenshot}`);

    const origin = new URL(server.url).origin;
    const elsewhere = requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    assert.deepEqual(elsewhere, [], 'the page loaded something from another host');
    assert.ok(requested.some((url) => url.includes('/graphiql/static/vendor/graphiql.min.js')));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
