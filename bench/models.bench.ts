/**
 * @module bench/models
 * The data models of issue 8, measured against the original packages (r-array 0.5.3, crdt 3.6.4,
 * scuttlebucket 0.2.3, expiry-model 1.0.2) and the matching Yjs types (Y.Array, Y.Map of Y.Maps,
 * Y.Text): per model, local ops/s, full-sync time to a fresh replica, heap per live element, and
 * heap after deleting 90% of the elements (before and after tombstone collection).
 *
 *   node --import tsx bench/models.bench.ts [--quick | --big] [--only=rarray,doc,…] [--skip=Y.Map of,…]
 *
 * Sizes: 10k with --quick, 100k by default, 1M with --big. The originals whose operations are
 * O(n) each (r-array sorts its keys on every insert and its keys grow ~1 character per 6
 * appends; crdt rebuilds its whole history on every update; expiry-model walks every record on
 * each deletion) are measured at a smaller size, given in the table; their per-element figures are
 * what matters. Heap figures are `process.memoryUsage().heapUsed` after a forced GC with the model,
 * minus the same once the model is dropped, in this one process: a few percent of noise, more at
 * --quick sizes; run twice before trusting a small difference. ExpiringModel's deletions are kept
 * until they expire (maxAgeMs), so it has no "collected" figure.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import { AppendOnly } from '../src/entries/append-only.ts';
import { RArray, Text } from '../src/entries/array.ts';
import { Bucket } from '../src/entries/bucket.ts';
import { Doc } from '../src/entries/doc.ts';
import { ExpiringModel } from '../src/entries/expiring.ts';
import { Model, type Scuttlebutt } from '../src/index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const N = args.includes('--big') ? 1_000_000 : args.includes('--quick') ? 10_000 : 100_000;
const option = (name: string): string[] | undefined =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
/** `--only=rarray,doc`: models to run (by name prefix, lower case). */
const only = option('only');
/** `--skip=Y.Map of,crdt`: implementations to leave out (by name prefix). */
const skip = option('skip');
/** Size for the originals whose operations are O(n) (Y.Array#push too is O(n): capped at 100k). */
const SLOW_N = Math.min(N, args.includes('--quick') ? 1_000 : 3_000);
/**
 * The models that collect deletions get a grace period longer than a run, so that the "after
 * −90%" figure holds every tombstone; `collectTombstones(Infinity)` then drops them all.
 */
const HOUR_MS = 3_600_000;

interface Row {
  model: string;
  impl: string;
  n: number;
  opsPerSec: number;
  syncMs: number | null;
  bytesPerLive: number;
  after90: number | null;
  after90Collected: number | null;
}
const rows: Row[] = [];

/** Heap in use after a full GC, once pending callbacks (stream teardown) have run. */
async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Syncs `from` into a fresh replica over raw in-process streams; returns ms until it holds everything. */
async function syncTime(from: Scuttlebutt, fresh: Scuttlebutt, done: () => boolean): Promise<number> {
  const t0 = performance.now();
  const a = from.createStream({ wrapper: 'raw' });
  const b = fresh.createStream({ wrapper: 'raw' });
  a.pipe(b).pipe(a);
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
  const ms = performance.now() - t0;
  const closed = Promise.all([new Promise((resolve) => a.once('close', resolve)), new Promise((resolve) => b.once('close', resolve))]);
  a.destroy();
  b.destroy();
  await closed;
  return ms;
}

/** Syncs two originals (old-style streams, raw) and returns ms until `done`. */
async function syncOriginal(
  from: { createStream(o?: unknown): unknown },
  fresh: { createStream(o?: unknown): unknown },
  done: () => boolean,
): Promise<number> {
  const t0 = performance.now();
  const a = from.createStream({ wrapper: 'raw' }) as NodeJS.ReadWriteStream;
  const b = fresh.createStream({ wrapper: 'raw' }) as NodeJS.ReadWriteStream;
  a.pipe(b).pipe(a);
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
  const ms = performance.now() - t0;
  // The originals keep a stream's listeners until it ends: end both so the fresh replica can go.
  a.end();
  b.end();
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return ms;
}

interface Case<M> {
  model: string;
  impl: string;
  n: number;
  create(): M;
  /** Writes n elements, one operation each. */
  fill(m: M, n: number): void;
  live(m: M): number;
  /** Deletes 90% of the elements, one operation each. */
  delete90?(m: M): void;
  collect?(m: M): void;
  sync?(m: M): Promise<number>;
}

async function run<M>(c: Case<M>): Promise<void> {
  if (only !== undefined && !only.some((o) => c.model.toLowerCase().startsWith(o))) return;
  if (skip?.some((prefix) => c.impl.startsWith(prefix))) return;
  // Each heap figure is (heap with the model) − (heap once the model is dropped, at the end), so
  // what the run leaves behind elsewhere (compiled code, caches) cancels out.
  let m: M | null = c.create();
  const ms = time(() => c.fill(m as M, c.n));
  const live = c.live(m);
  const filled = await heap();
  const syncMs = c.sync ? await c.sync(m) : null;
  let deleted: number | null = null;
  let collected: number | null = null;
  let liveAfter = 1;
  if (c.delete90) {
    c.delete90(m);
    deleted = await heap();
    if (c.collect) {
      c.collect(m);
      collected = await heap();
    }
    liveAfter = Math.max(1, c.live(m));
  }
  m = null;
  const end = await heap();
  rows.push({
    model: c.model,
    impl: c.impl,
    n: c.n,
    opsPerSec: (c.n / ms) * 1000,
    syncMs,
    bytesPerLive: (filled - end) / Math.max(1, live),
    after90: deleted === null ? null : (deleted - end) / liveAfter,
    after90Collected: collected === null ? null : (collected - end) / liveAfter,
  });
  const r = rows[rows.length - 1] as Row;
  process.stderr.write(
    `  ${c.model} / ${c.impl}: n=${r.n} ${fmt(r.opsPerSec)} ops/s, ${fmt(r.bytesPerLive)} B/live, after −90% ${fmt(r.after90)}, collected ${fmt(r.after90Collected)}\n`,
  );
}

/**
 * One of our models that collect deletions: made with a grace period longer than a run (so the
 * "after −90%" figure holds every tombstone), synced to a fresh replica made by `make` too, and
 * collected with `collectTombstones(Infinity)`.
 */
function ours<M extends Scuttlebutt>(
  model: string,
  make: (options: { id: string; tombstoneTtlMs?: number }) => M,
  c: Pick<Case<M>, 'fill' | 'live' | 'delete90'>,
): Case<M> {
  return {
    model,
    impl: 'scuttlebutt-ts',
    n: N,
    create: () => make({ id: 'A', tombstoneTtlMs: HOUR_MS }),
    ...c,
    sync: (a) => {
      const b = make({ id: 'B' });
      return syncTime(a, b, () => c.live(b) === c.live(a));
    },
    collect: (a) => a.collectTombstones(Number.POSITIVE_INFINITY),
  };
}

const value = (i: number) => ({ n: i, s: `v${i}` });

// --- originals -------------------------------------------------------------------------------
const OriginalRArray = require('r-array') as new () => {
  push(v: unknown): void;
  unset(k: string): void;
  keys: string[];
  length: number;
  createStream(o?: unknown): unknown;
  toJSON(): unknown[];
};
const OriginalDoc = require('crdt') as new () => {
  add(o: unknown): unknown;
  rm(id: string): void;
  rows: Record<string, unknown>;
  toJSON(): object;
  createStream(o?: unknown): unknown;
};
const OriginalBucket = require('scuttlebucket') as new () => {
  add(n: string, p: unknown): unknown;
  get(n: string): { set(k: string, v: unknown): void };
  createStream(o?: unknown): unknown;
};
const OriginalModel = require('scuttlebutt/model') as new () => { set(k: string, v: unknown): void; toJSON(): object };
const OriginalExpiry = require('expiry-model') as (o: unknown) => {
  set(k: string, v: unknown): void;
  toJSON(): object;
  createStream(o?: unknown): unknown;
};

async function main(): Promise<void> {
  process.stderr.write(`models bench: n=${N} (originals with O(n) operations at n=${SLOW_N}), node ${process.version}\n`);

  // RArray ---------------------------------------------------------------------------------
  await run(
    ours('RArray', (o) => new RArray(o), {
      fill: (a, n) => {
        for (let i = 0; i < n; i++) a.push(value(i));
      },
      live: (a) => a.length,
      delete90: (a) => {
        const keys = a.keys();
        for (let i = 0; i < keys.length; i++) if (i % 10 !== 0) a.unset(keys[i] as string);
      },
    }),
  );
  await run<InstanceType<typeof OriginalRArray>>({
    model: 'RArray',
    impl: 'r-array 0.5.3',
    n: SLOW_N,
    create: () => new OriginalRArray(),
    fill: (a, n) => {
      for (let i = 0; i < n; i++) a.push(value(i));
    },
    live: (a) => a.length,
    sync: (a) => {
      const b = new OriginalRArray();
      return syncOriginal(a, b, () => b.length === a.length);
    },
    delete90: (a) => {
      const keys = a.keys.slice();
      for (let i = 0; i < keys.length; i++) if (i % 10 !== 0) a.unset(keys[i] as string);
    },
  });
  await run<Y.Doc>({
    model: 'RArray',
    impl: 'Y.Array',
    // Y.Array#push walks the list to its end: O(n) per push, hours at 1M.
    n: Math.min(N, 100_000),
    create: () => new Y.Doc(),
    fill: (d, n) => {
      const arr = d.getArray('a');
      for (let i = 0; i < n; i++) arr.push([value(i)]);
    },
    live: (d) => d.getArray('a').length,
    sync: async (d) => {
      const b = new Y.Doc();
      return time(() => Y.applyUpdate(b, Y.encodeStateAsUpdate(d)));
    },
    delete90: (d) => {
      const arr = d.getArray('a');
      for (let i = arr.length - 1; i >= 0; i--) if (i % 10 !== 0) arr.delete(i, 1);
    },
  });

  // Text -----------------------------------------------------------------------------------
  const typed = (i: number) => String.fromCharCode(97 + (i % 26));
  await run(
    ours('Text', (o) => new Text(o), {
      fill: (t, n) => {
        // Typing: one character per edit, mostly at the end, sometimes in the middle.
        for (let i = 0; i < n; i++) t.insertText(i % 50 === 49 ? Math.floor(t.length / 2) : t.length, typed(i));
      },
      live: (t) => t.length,
      delete90: (t) => {
        for (let i = t.length - 1; i >= 0; i--) if (i % 10 !== 0) t.deleteText(i, 1);
      },
    }),
  );
  await run<Y.Doc>({
    model: 'Text',
    impl: 'Y.Text',
    n: N,
    create: () => new Y.Doc(),
    fill: (d, n) => {
      const text = d.getText('t');
      for (let i = 0; i < n; i++) text.insert(i % 50 === 49 ? Math.floor(text.length / 2) : text.length, typed(i));
    },
    live: (d) => d.getText('t').length,
    sync: async (d) => {
      const b = new Y.Doc();
      return time(() => Y.applyUpdate(b, Y.encodeStateAsUpdate(d)));
    },
    delete90: (d) => {
      const text = d.getText('t');
      for (let i = text.length - 1; i >= 0; i--) if (i % 10 !== 0) text.delete(i, 1);
    },
  });

  // Doc ------------------------------------------------------------------------------------
  const rowOf = (i: number) => ({ id: `r${i}`, name: `name ${i}`, n: i, done: false });
  await run(
    ours('Doc (rows of 3 fields)', (o) => new Doc(o), {
      fill: (d, n) => {
        for (let i = 0; i < n; i++) d.add(rowOf(i));
      },
      live: (d) => d.size,
      delete90: (d) => {
        for (const id of d.ids()) if (Number(id.slice(1)) % 10 !== 0) d.rm(id);
      },
    }),
  );
  await run<InstanceType<typeof OriginalDoc>>({
    model: 'Doc (rows of 3 fields)',
    impl: 'crdt 3.6.4',
    n: SLOW_N,
    create: () => new OriginalDoc(),
    fill: (d, n) => {
      for (let i = 0; i < n; i++) d.add(rowOf(i));
    },
    live: (d) => Object.keys(d.rows).length,
    sync: (d) => {
      const b = new OriginalDoc();
      return syncOriginal(d, b, () => Object.keys(b.rows).length === Object.keys(d.rows).length);
    },
    delete90: (d) => {
      for (const id of Object.keys(d.rows)) if (Number(id.slice(1)) % 10 !== 0) d.rm(id);
    },
  });
  await run<Y.Doc>({
    model: 'Doc (rows of 3 fields)',
    impl: 'Y.Map of Y.Maps',
    n: N,
    create: () => new Y.Doc(),
    fill: (d, n) => {
      const rowsMap = d.getMap<Y.Map<unknown>>('rows');
      for (let i = 0; i < n; i++) {
        const r = rowOf(i);
        const row = new Y.Map<unknown>();
        row.set('name', r.name);
        row.set('n', r.n);
        row.set('done', r.done);
        rowsMap.set(r.id, row);
      }
    },
    live: (d) => d.getMap('rows').size,
    sync: async (d) => {
      const b = new Y.Doc();
      return time(() => Y.applyUpdate(b, Y.encodeStateAsUpdate(d)));
    },
    delete90: (d) => {
      const rowsMap = d.getMap('rows');
      for (const id of [...rowsMap.keys()]) if (Number(id.slice(1)) % 10 !== 0) rowsMap.delete(id);
    },
  });

  // Bucket ---------------------------------------------------------------------------------
  await run<Bucket>({
    model: 'Bucket (Model part)',
    impl: 'scuttlebutt-ts',
    n: N,
    create: () => new Bucket('A').add('m', new Model()),
    fill: (b, n) => {
      const m = b.get('m') as Model;
      for (let i = 0; i < n; i++) m.set(`k${i}`, value(i));
    },
    live: (b) => (b.get('m') as Model).size,
    sync: (b) => {
      const c = new Bucket('B').add('m', new Model());
      return syncTime(b, c, () => (c.get('m') as Model).size === (b.get('m') as Model).size);
    },
  });
  await run<InstanceType<typeof OriginalBucket>>({
    model: 'Bucket (Model part)',
    impl: 'scuttlebucket 0.2.3',
    n: Math.min(N, 100_000),
    create: () => {
      const b = new OriginalBucket();
      b.add('m', new OriginalModel());
      return b;
    },
    fill: (b, n) => {
      const m = b.get('m');
      for (let i = 0; i < n; i++) m.set(`k${i}`, value(i));
    },
    live: (b) => Object.keys((b.get('m') as unknown as { toJSON(): object }).toJSON()).length,
  });

  // ExpiringModel --------------------------------------------------------------------------
  await run<ExpiringModel>({
    model: 'ExpiringModel',
    impl: 'scuttlebutt-ts',
    n: N,
    create: () => new ExpiringModel({ id: 'A', maxSize: Number.POSITIVE_INFINITY }),
    fill: (m, n) => {
      for (let i = 0; i < n; i++) m.set(`k${i}`, value(i));
    },
    live: (m) => m.size,
    sync: (m) => {
      const b = new ExpiringModel({ id: 'B', maxSize: Number.POSITIVE_INFINITY });
      return syncTime(m, b, () => b.size === m.size);
    },
    delete90: (m) => {
      for (const key of m.keys()) if (Number(key.slice(1)) % 10 !== 0) m.delete(key);
    },
  });
  await run<ReturnType<typeof OriginalExpiry>>({
    model: 'ExpiringModel',
    impl: 'expiry-model 1.0.2',
    // Its LRU dispose walks every record on each deletion: O(n) per delete.
    n: SLOW_N,
    create: () => OriginalExpiry({ max: N * 2 }),
    fill: (m, n) => {
      for (let i = 0; i < n; i++) m.set(`k${i}`, value(i));
    },
    live: (m) => Object.keys(m.toJSON()).length,
    delete90: (m) => {
      for (const key of Object.keys(m.toJSON())) if (Number(key.slice(1)) % 10 !== 0) m.set(key, null);
    },
  });
  await run<Y.Doc>({
    model: 'ExpiringModel',
    impl: 'Y.Map (no expiry)',
    n: N,
    create: () => new Y.Doc(),
    fill: (d, n) => {
      const map = d.getMap('m');
      for (let i = 0; i < n; i++) map.set(`k${i}`, value(i));
    },
    live: (d) => d.getMap('m').size,
    delete90: (d) => {
      const map = d.getMap('m');
      for (const key of [...map.keys()]) if (Number(key.slice(1)) % 10 !== 0) map.delete(key);
    },
  });

  // AppendOnly -----------------------------------------------------------------------------
  await run(
    ours('AppendOnly', (o) => new AppendOnly(o), {
      fill: (log, n) => {
        for (let i = 0; i < n; i++) log.push(value(i));
      },
      live: (log) => log.size,
      delete90: (log) => {
        const entries = log.entries();
        for (let i = entries.length - 1; i >= 0; i--) if (i % 10 !== 0) log.remove((entries[i] as { id: string }).id);
      },
    }),
  );
  await run<Y.Doc>({
    model: 'AppendOnly',
    impl: 'Y.Array',
    // Y.Array#push walks the list to its end: O(n) per push, hours at 1M.
    n: Math.min(N, 100_000),
    create: () => new Y.Doc(),
    fill: (d, n) => {
      const arr = d.getArray('a');
      for (let i = 0; i < n; i++) arr.push([value(i)]);
    },
    live: (d) => d.getArray('a').length,
    delete90: (d) => {
      const arr = d.getArray('a');
      for (let i = arr.length - 1; i >= 0; i--) if (i % 10 !== 0) arr.delete(i, 1);
    },
  });

  print();
}

function fmt(n: number | null, digits = 0): string {
  if (n === null) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function print(): void {
  const header = ['model', 'implementation', 'n', 'ops/s', 'sync ms', 'B/live', 'B/live after −90%', '… collected'];
  const table = rows.map((r) => [
    r.model,
    r.impl,
    fmt(r.n),
    fmt(r.opsPerSec),
    fmt(r.syncMs, 1),
    fmt(r.bytesPerLive),
    fmt(r.after90),
    fmt(r.after90Collected),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log('\nRatios (ours ÷ other; ops/s: higher is better for ours when > 1; bytes: lower is better for ours when < 1):');
  for (const model of new Set(rows.map((r) => r.model))) {
    const ours = rows.find((r) => r.model === model && r.impl === 'scuttlebutt-ts');
    if (ours === undefined) continue;
    for (const other of rows.filter((r) => r.model === model && r !== ours)) {
      const mem = other.bytesPerLive > 0 ? ours.bytesPerLive / other.bytesPerLive : null;
      const after =
        other.after90 !== null && (ours.after90Collected ?? ours.after90) !== null
          ? ((ours.after90Collected ?? ours.after90) as number) / other.after90
          : null;
      console.log(
        `  ${model} vs ${other.impl}: ops/s ×${fmt(ours.opsPerSec / other.opsPerSec, 2)}, bytes/live ×${fmt(mem, 2)}${after === null ? '' : `, after −90% ×${fmt(after, 2)}`}${other.n !== ours.n ? ` (other at n=${fmt(other.n)})` : ''}`,
      );
    }
  }
}

await main();
