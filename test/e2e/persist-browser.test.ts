import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs build script without types
import { buildBrowser } from '../../scripts/build-browser.mjs';

// Real headless Chromium, real IndexedDB and localStorage: persist, reload the page (and restart
// the browser on the same profile), and the data is there.
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
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds the browser bundle (scripts/build-browser.mjs) and the separate browser entry of
 * `scuttlebutt-ts/persist` (src/persist/browser.ts) into `outdir`.
 */
async function buildBundles(outdir: string): Promise<{ main: string; persist: string }> {
  await buildBrowser(outdir);
  await build({
    entryPoints: { persist: join(root, 'src/persist/browser.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    plugins: [
      {
        name: 'swap-node-only',
        setup(b) {
          b.onResolve({ filter: /^node:events$/ }, () => ({ path: join(root, 'src/_browser/events.ts') }));
          b.onResolve({ filter: /^node:/ }, (args) => ({
            errors: [{ text: `${args.path} reached the browser bundle from ${args.importer}` }],
          }));
        },
      },
    ],
  });
  return { main: readFileSync(join(outdir, 'scuttlebutt.js'), 'utf8'), persist: readFileSync(join(outdir, 'persist.js'), 'utf8') };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>persist</title>
<script type="module">
  import * as sb from '/scuttlebutt.js';
  import * as persist from '/persist.js';
  window.sb = sb;
  window.persist = persist;
  window.stores = [];
  window.openStore = (kind, model, name, options = {}) => {
    const store = kind === 'idb' ? sb.persistIndexedDB(model, name, options) : sb.persistLocalStorage(model, name, options);
    window.stores.push(store);
    return store;
  };
  window.failure = async (promise) => {
    try { await promise; return null; } catch (err) { return { code: err.code, path: err.path, name: err.name, message: err.message }; }
  };
  document.title = 'ready';
</script>`;

// The page's globals, as the tests use them inside page.evaluate.
type Sb = typeof import('../../src/browser.ts');
type Store = import('../../src/persist/store.ts').PersistentStore;
interface TestWindow {
  sb: Sb;
  persist: typeof import('../../src/persist/browser.ts');
  stores: Store[];
  openStore(kind: 'idb' | 'ls', model: unknown, name: string, options?: Record<string, unknown>): Store;
  failure(promise: Promise<unknown>): Promise<{ code: string; path: string; name: string; message: string } | null>;
}
// Functions passed to page.evaluate run in the page: they start with
// `const window = globalThis as unknown as TestWindow` (a type, erased) and use nothing else from here.

describe('browser stores in headless Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  let server: Server;
  let origin = '';
  let profile = '';
  let context: BrowserContext;
  let dir = '';

  const launch = async (): Promise<BrowserContext> =>
    chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });

  const page = async (): Promise<Page> => {
    const p = context.pages()[0] ?? (await context.newPage());
    await p.goto(`${origin}/`);
    await p.waitForFunction(() => document.title === 'ready');
    return p;
  };

  const reload = async (p: Page): Promise<void> => {
    await p.reload();
    await p.waitForFunction(() => document.title === 'ready');
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-browser-'));
    profile = join(dir, 'profile');
    const bundles = await buildBundles(join(dir, 'bundle'));
    server = createServer((req, res) => {
      if (req.url === '/scuttlebutt.js' || req.url === '/persist.js') {
        const code = req.url === '/persist.js' ? bundles.persist : bundles.main;
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(code);
      } else if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    context = await launch();
  });

  after(async () => {
    await context?.close().catch(() => {});
    if (server) await new Promise((resolve) => server.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['idb', 'ls'] as const) {
    const label = kind === 'idb' ? 'IndexedDB' : 'localStorage';

    it(`${label}: Model, Events and Value survive a page reload (flush() resolved, no close)`, async () => {
      const p = await page();
      await p.evaluate(async (kind) => {
        const window = globalThis as unknown as TestWindow;
        const { Model, Events, Value } = window.sb;
        const m = new Model('A');
        const e = new Events('E');
        const v = new Value('V');
        const stores = [
          window.openStore(kind, m, `model-${kind}`),
          window.openStore(kind, e, `events-${kind}`),
          window.openStore(kind, v, `value-${kind}`),
        ];
        await Promise.all(stores.map((s) => s.ready));
        m.set('a', 1);
        m.set('b', { x: [1, 'ü'] });
        m.set('a', null);
        e.emit('msg', 'hello', 1);
        e.emit('msg', 'again');
        v.set({ title: 'doc' });
        await Promise.all(stores.map((s) => s.flush()));
      }, kind);
      await reload(p);
      const loaded = await p.evaluate(async (kind) => {
        const window = globalThis as unknown as TestWindow;
        const { Model, Events, Value } = window.sb;
        const m = new Model('B');
        const e = new Events('F');
        const seen: unknown[][] = [];
        e.on('msg', (...args: unknown[]) => seen.push(args));
        const v = new Value('W');
        const stores = [
          window.openStore(kind, m, `model-${kind}`),
          window.openStore(kind, e, `events-${kind}`),
          window.openStore(kind, v, `value-${kind}`),
        ];
        await Promise.all(stores.map((s) => s.ready));
        const appended = stores.map((s) => s.stats.appended);
        await Promise.all(stores.map((s) => s.close()));
        return { model: m.toJSON(), a: m.get('a'), events: seen, value: v.get(), appended };
      }, kind);
      assert.deepEqual(loaded, {
        model: { b: { x: [1, 'ü'] } },
        a: null,
        events: [['hello', 1], ['again']],
        value: { title: 'doc' },
        appended: [0, 0, 0],
      });
    });

    it(`${label}: compaction keeps the live state; a second store on the same name is refused (Web Locks)`, async () => {
      const p = await page();
      const result = await p.evaluate(async (kind) => {
        const window = globalThis as unknown as TestWindow;
        const m = new window.sb.Model('A');
        const store = window.openStore(kind, m, `compact-${kind}`, { compactMinBytes: 256, compactFactor: 2 });
        await store.ready;
        const second = await window.failure(window.openStore(kind, new window.sb.Model(), `compact-${kind}`).ready);
        for (let i = 0; i < 300; i++) {
          m.set(`k${i % 10}`, i);
          if (i % 30 === 0) await store.flush();
        }
        await store.flush();
        await store.compact();
        return { second, compactions: store.stats.compactions, bytes: store.stats.bytes };
      }, kind);
      assert.equal(result.second?.code, 'ERR_SB_STORE_LOCKED');
      assert.ok(result.compactions >= 2, `compactions: ${result.compactions}`);
      assert.ok(result.bytes < 2000, `bytes: ${result.bytes}`);
      await reload(p);
      const model = await p.evaluate(async (kind) => {
        const window = globalThis as unknown as TestWindow;
        const m = new window.sb.Model('B');
        await window.openStore(kind, m, `compact-${kind}`).ready;
        return m.toJSON();
      }, kind);
      assert.deepEqual(model, Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, 290 + k])));
    });
  }

  it('a database or key that is not ours is refused (ERR_SB_STORE_FOREIGN) and left alone', async () => {
    const p = await page();
    const result = await p.evaluate(async () => {
      const window = globalThis as unknown as TestWindow;
      await new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('someone-else', 1);
        req.onupgradeneeded = () => req.result.createObjectStore('things');
        req.onsuccess = () => {
          req.result.close();
          resolve();
        };
        req.onerror = () => reject(req.error);
      });
      localStorage.setItem('settings', '{"theme":"dark"}');
      const idb = await window.failure(window.openStore('idb', new window.sb.Model(), 'someone-else').ready);
      const ls = await window.failure(window.openStore('ls', new window.sb.Model(), 'settings').ready);
      return { idb, ls, kept: localStorage.getItem('settings') };
    });
    assert.equal(result.idb?.code, 'ERR_SB_STORE_FOREIGN');
    assert.equal(result.idb?.path, 'someone-else');
    assert.equal(result.ls?.code, 'ERR_SB_STORE_FOREIGN');
    assert.equal(result.kept, '{"theme":"dark"}');
  });

  it('the separate browser entry of scuttlebutt-ts/persist works with models of the main bundle', async () => {
    const p = await page();
    await p.evaluate(async () => {
      const window = globalThis as unknown as TestWindow;
      const m = new window.sb.Model('A');
      const store = window.persist.persistIndexedDB(m, 'separate-entry');
      await store.ready;
      m.set('k', 'v');
      await store.flush();
    });
    await reload(p);
    const loaded = await p.evaluate(async () => {
      const window = globalThis as unknown as TestWindow;
      const m = new window.sb.Model('B');
      const store = window.persist.persistIndexedDB(m, 'separate-entry');
      await store.ready;
      // An error of the persist bundle is recognised by the main bundle's isScuttlebuttError (a brand, not instanceof).
      let locked: unknown = null;
      try {
        await window.persist.persistIndexedDB(new window.sb.Model(), 'separate-entry').ready;
      } catch (error) {
        locked = error;
      }
      return { model: m.toJSON(), code: (locked as { code?: string } | null)?.code, branded: window.sb.isScuttlebuttError(locked) };
    });
    assert.deepEqual(loaded, { model: { k: 'v' }, code: 'ERR_SB_STORE_LOCKED', branded: true });
  });

  it('IndexedDB and localStorage: the data survives a browser restart on the same profile', async () => {
    const p = await page();
    await p.evaluate(async () => {
      const window = globalThis as unknown as TestWindow;
      for (const kind of ['idb', 'ls'] as const) {
        const m = new window.sb.Model('A');
        const store = window.openStore(kind, m, `restart-${kind}`);
        await store.ready;
        for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
        await store.flush();
      }
    });
    await context.close();
    context = await launch();
    const p2 = await page();
    const loaded = await p2.evaluate(async () => {
      const window = globalThis as unknown as TestWindow;
      const out: Record<string, unknown> = {};
      for (const kind of ['idb', 'ls'] as const) {
        const m = new window.sb.Model('B');
        await window.openStore(kind, m, `restart-${kind}`).ready;
        out[kind] = Object.keys(m.toJSON()).length;
      }
      return out;
    });
    assert.deepEqual(loaded, { idb: 100, ls: 100 });
  });
});
