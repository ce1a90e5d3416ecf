/**
 * E2E in a browser: headless Chromium (Debian `chromium`, driven by playwright-core) opens the
 * hub's page in two tabs. The page asks for the token, replicates over the native WebSocket with
 * the browser bundle (`dist/browser/scuttlebutt.js`, built first, as `npm start` does), and an
 * edit in one tab shows in the other, and in a Node client; a screenshot of each tab is saved in
 * `test-artifacts/`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { Model } from '../../src/index.ts';
import { connectWebSocket, startHub } from '../../src/net/index.ts';
import { ROOT, teardown, until, within } from '../helpers/e2e.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(ROOT, 'test-artifacts');

describe('the hub page in a browser', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  before(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-browser.mjs')], { cwd: ROOT, stdio: 'ignore' });
  });

  it('two tabs converge: an edit in one shows in the other (and in a Node client)', async (t) => {
    const td = teardown(t);
    const hub = td.add(await startHub({ port: 0, tcpPort: null, dataDir: null, token: 'tok' }), (h) => h.close());
    const profile = td.add(mkdtempSync(join(tmpdir(), 'sb-chromium-')), (dir) => rmSync(dir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
    td.add(context, (c) => c.close());
    context.setDefaultTimeout(10_000);
    const errors: string[] = [];
    const base = hub.urls.http;

    // Tab 1 arrives without the token: the hub asks for it, the form reloads the page with it.
    const tab1 = await context.newPage();
    tab1.on('pageerror', (e) => errors.push(`tab1: ${e.message}`));
    const first = await tab1.goto(base);
    assert.equal(first?.status(), 401);
    await tab1.fill('input[name="token"]', 'tok');
    await Promise.all([tab1.waitForURL(/token=tok/), tab1.click('button[type="submit"]')]);
    await tab1.waitForSelector('#state[data-state="live"]');

    const tab2 = await context.newPage();
    tab2.on('pageerror', (e) => errors.push(`tab2: ${e.message}`));
    await tab2.goto(`${base}?token=tok`);
    await tab2.waitForSelector('#state[data-state="live"]');

    // Edit in tab 1, see it in tab 2.
    await tab1.fill('#key', 'color');
    await tab1.fill('#value', '"blue"');
    await tab1.click('#set');
    await tab2.waitForSelector('tr[data-key="color"] .value:text-is(\'"blue"\')');

    // And the other way, with a JSON value and a plain string.
    await tab2.fill('#key', 'count');
    await tab2.fill('#value', '42');
    await tab2.click('#set');
    await tab2.fill('#key', 'note');
    await tab2.fill('#value', 'hello from tab 2');
    await tab2.click('#set');
    await tab1.waitForSelector('tr[data-key="count"] .value:text-is("42")');
    await tab1.waitForSelector('tr[data-key="note"] .value:text-is(\'"hello from tab 2"\')');

    // A Node client of the same hub sees the browsers' edits and its own reach both tabs.
    const node = new Model('NODE');
    const peer = td.add(connectWebSocket(node, { url: hub.urls.ws, token: 'tok' }), (p) => p.close());
    await within(peer.whenLive(), 'the Node client live');
    await until(() => node.get('color') === 'blue' && node.get('count') === 42, 'the browsers’ edits in Node');
    node.set('fromNode', { ok: true });
    for (const tab of [tab1, tab2]) await tab.waitForSelector('tr[data-key="fromNode"] .value:text-is(\'{"ok":true}\')');

    // Delete in tab 1: gone from tab 2.
    await tab1.click('tr[data-key="color"] button');
    await tab2.waitForSelector('tr[data-key="color"]', { state: 'detached' });
    assert.equal(await tab2.textContent('#count'), '3');

    mkdirSync(ARTIFACTS, { recursive: true });
    await tab1.screenshot({ path: join(ARTIFACTS, 'hub-page-tab1.png'), fullPage: true });
    await tab2.screenshot({ path: join(ARTIFACTS, 'hub-page-tab2.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.equal(hub.pool.size, 3, 'two tabs and the Node client');
  });
});
