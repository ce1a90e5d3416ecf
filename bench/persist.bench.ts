/**
 * @module persist.bench
 * The cost of durable persistence (issue 6), standalone:
 *   node --import tsx bench/persist.bench.ts [--quick]
 *
 * Against the original's persistence, `createReadStream()` piped to `fs.createWriteStream(file)`
 * and `fs.createReadStream(file)` piped to `createWriteStream()`, on the same data:
 *
 * 1. Appended updates per second, for each durability mode, in two shapes: a bulk of N updates
 *    applied in one go (then `flush()`), and a trickle of updates applied one per event-loop
 *    turn (each can become its own write). Ours is timed until `flush()` resolves, so `'batch'`
 *    and `'none'` include one final fsync; the original is timed until its file stream has
 *    written everything ('finish'), with no fsync at all (it has none).
 * 2. Load time and memory of a store of 1 000 000 updates (100 000 with --quick), each load in a
 *    fresh child process: wall time to a loaded model, heap retained after a full GC, RSS.
 * 3. Compaction of that store: ours (temporary file, fsync, rename, directory fsync) against the
 *    original's way to rewrite a file, `createReadStream({ tail: false })` into a new file. The
 *    original's rewrite is quadratic (its duplex drains a buffer with `Array#shift` under
 *    backpressure: about 6 minutes for 1M updates), so it is measured in one run only.
 *
 * Ratios are "how many times better ours is": original time ÷ our time, our rate ÷ original rate.
 * Each figure is the median of 3 runs, ours and the original alternating; loads also report CPU
 * time (user + system), which a busy machine disturbs much less than wall time.
 * Every run is checked (line counts, key counts, the last value); a wrong result throws.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Model } from '../src/index.ts';
import { type Durability, persist } from '../src/persist/index.ts';

const quick = process.argv.includes('--quick');
const BULK = quick ? 20_000 : 200_000;
const TRICKLE = quick ? 1_000 : 5_000;
const LOAD = quick ? 100_000 : 1_000_000;
const RUNS = 3;
const LOAD_RUNS = 3;
const MODES: readonly Durability[] = ['fsync', 'batch', 'none'];

const require = createRequire(import.meta.url);
interface OriginalModel {
  set(key: string, value: unknown): void;
  get(key: string): unknown;
  keys(): string[];
  dispose(): void;
  createReadStream(options?: { tail?: boolean }): NodeJS.ReadableStream & { pipe<T extends NodeJS.WritableStream>(d: T): T };
  createWriteStream(): NodeJS.WritableStream;
}
const OriginalModel = require('scuttlebutt/model') as new (id?: string) => OriginalModel;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const value = (i: number): { i: number; s: string } => ({ i, s: `value-${i}` });
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const tempDirectory = (): string => mkdtempSync(join(tmpdir(), 'sb-bench-persist-'));
const lineCount = (file: string): number => {
  const bytes = readFileSync(file);
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
};
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Appends

async function appendOurs(mode: Durability, n: number, trickle: boolean): Promise<number> {
  const dir = tempDirectory();
  const file = join(dir, 'ours.sb');
  try {
    const model = new Model('A');
    const store = persist(model, file, { durability: mode });
    await store.ready;
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      model.set(`k${i}`, value(i));
      if (trickle) await turn();
    }
    await store.flush();
    const ms = performance.now() - start;
    await store.close();
    check(lineCount(file) === n + 2, `ours ${mode}: ${n} lines appended`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function appendOriginal(n: number, trickle: boolean): Promise<number> {
  const dir = tempDirectory();
  const file = join(dir, 'original.sb');
  try {
    const model = new OriginalModel('A');
    const out = createWriteStream(file);
    model.createReadStream().pipe(out);
    await turn();
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      model.set(`k${i}`, value(i));
      if (trickle) await turn();
    }
    model.dispose(); // ends the read stream, which ends the file stream once everything is written
    await once(out, 'finish');
    const ms = performance.now() - start;
    check(lineCount(file) === n + 2, `original: ${n} lines appended`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Load and compaction, each in a fresh child process

/** Writes a store of `n` updates (4 sources, distinct keys) in the wire format both read. */
function writeStore(file: string, n: number): void {
  const out: string[] = ['{"id":"A","clock":{}}\n'];
  let chunk = '';
  for (let i = 0; i < n; i++) {
    chunk += `${JSON.stringify([[`k${i}`, value(i)], 1_700_000_000_000 + i, `S${i % 4}`])}\n`;
    if (chunk.length > 1 << 20) {
      out.push(chunk);
      chunk = '';
    }
  }
  out.push(chunk, '"SYNC"\n');
  writeFileSync(file, out.join(''));
}

interface ChildResult {
  readonly loadMs: number;
  /** Peak RSS of the process up to the end of the load (before the compaction). */
  readonly loadPeakRssMB: number;
  readonly loadCpuMs: number;
  readonly compactCpuMs: number;
  readonly heapMB: number;
  readonly rssMB: number;
  readonly maxRssMB: number;
  readonly compactMs: number;
  readonly compactedBytes: number;
}

async function child(kind: 'ours' | 'original', source: string, n: number, rewrite: boolean): Promise<ChildResult> {
  const dir = tempDirectory();
  const file = join(dir, 'store.sb');
  copyFileSync(source, file);
  try {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let loadMs: number;
    let loadCpuMs: number;
    let compactMs: number;
    let compactCpuMs: number;
    let compactedBytes: number;
    let retain: unknown;
    if (kind === 'ours') {
      const model = new Model('L');
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      const store = persist(model, file, { lock: false });
      await store.ready;
      loadMs = performance.now() - start;
      loadCpuMs = cpuMs(cpu0);
      const loadPeakRssMB = process.resourceUsage().maxRSS / 1024;
      check(model.keys().length === n, 'ours: every key loaded');
      check((model.get(`k${n - 1}`) as { s: string }).s === `value-${n - 1}`, 'ours: the last value');
      gc();
      const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
      const rssMB = process.memoryUsage().rss / 2 ** 20;
      const c0 = performance.now();
      const cc0 = process.cpuUsage();
      await store.compact();
      compactMs = performance.now() - c0;
      compactCpuMs = cpuMs(cc0);
      compactedBytes = statSync(file).size;
      check(lineCount(file) === n + 2, 'ours: the snapshot has every update');
      await store.close();
      retain = model;
      return {
        loadMs,
        loadPeakRssMB,
        loadCpuMs,
        heapMB,
        rssMB,
        maxRssMB: process.resourceUsage().maxRSS / 1024,
        compactMs,
        compactCpuMs,
        compactedBytes,
      };
    }
    const model = new OriginalModel('L');
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const input = createReadStream(file);
    input.pipe(model.createWriteStream());
    await once(input, 'end');
    await turn();
    loadMs = performance.now() - start;
    loadCpuMs = cpuMs(cpu0);
    const loadPeakRssMB = process.resourceUsage().maxRSS / 1024;
    check(model.keys().length === n, 'original: every key loaded');
    check((model.get(`k${n - 1}`) as { s: string }).s === `value-${n - 1}`, 'original: the last value');
    gc();
    const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    const rssMB = process.memoryUsage().rss / 2 ** 20;
    if (!rewrite) {
      const none = Number.NaN;
      return { loadMs, loadPeakRssMB, loadCpuMs, heapMB, rssMB, maxRssMB: none, compactMs: none, compactCpuMs: none, compactedBytes: none };
    }
    const target = join(dir, 'rewritten.sb');
    const c0 = performance.now();
    const cc0 = process.cpuUsage();
    const out = createWriteStream(target);
    model.createReadStream({ tail: false }).pipe(out);
    await once(out, 'finish');
    compactMs = performance.now() - c0;
    compactCpuMs = cpuMs(cc0);
    compactedBytes = statSync(target).size;
    check(lineCount(target) === n + 2, 'original: the rewritten file has every update');
    retain = model;
    void retain;
    return {
      loadMs,
      loadPeakRssMB,
      loadCpuMs,
      heapMB,
      rssMB,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      compactMs,
      compactCpuMs,
      compactedBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The median of each figure over several children (over the runs that measured it). */
function medianResult(results: ChildResult[]): ChildResult {
  const pick = (key: keyof ChildResult): number => median(results.map((r) => r[key]).filter((x) => Number.isFinite(x)));
  return {
    loadMs: pick('loadMs'),
    loadPeakRssMB: pick('loadPeakRssMB'),
    loadCpuMs: pick('loadCpuMs'),
    heapMB: pick('heapMB'),
    rssMB: pick('rssMB'),
    maxRssMB: pick('maxRssMB'),
    compactMs: pick('compactMs'),
    compactCpuMs: pick('compactCpuMs'),
    compactedBytes: pick('compactedBytes'),
  };
}

function runChild(kind: 'ours' | 'original', file: string, n: number, rewrite = true): ChildResult {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', kind, file, String(n), rewrite ? 'rewrite' : 'load-only'];
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: 30 * 60_000,
  });
  if (result.status !== 0) throw new Error(`the ${kind} child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

// ---------------------------------------------------------------------------------------------

const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rate = (n: number, ms: number): number => (n / ms) * 1000;

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt !== -1) {
    const [kind, file, n, rewrite] = process.argv.slice(childAt + 1) as ['ours' | 'original', string, string, string];
    process.stdout.write(`${JSON.stringify(await child(kind, file, Number(n), rewrite !== 'load-only'))}\n`);
    return;
  }
  let disk = '';
  try {
    disk = execFileSync('df', ['-h', tmpdir()], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
  } catch {
    disk = 'unknown';
  }
  console.log(`# Persistence benchmark${quick ? ' (--quick)' : ''}\n`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${tmpdir()} on: ${disk}`);
  console.log(`median of ${RUNS} run(s); ratios: >1 means ours is better\n`);

  console.log('## Appended updates per second\n');
  console.log('| workload | ours fsync | ours batch | ours none | original (no fsync) | fsync ÷ orig | batch ÷ orig | none ÷ orig |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, n, trickle] of [
    [`bulk: ${fmt(BULK)} updates in one go`, BULK, false],
    [`trickle: ${fmt(TRICKLE)} updates, one per event-loop turn`, TRICKLE, true],
  ] as const) {
    const ours: Record<string, number> = {};
    const original: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const mode of MODES) ours[`${mode}:${run}`] = await appendOurs(mode, n, trickle);
      original.push(await appendOriginal(n, trickle));
    }
    const oursRate = (mode: Durability): number =>
      rate(n, median(Array.from({ length: RUNS }, (_, run) => ours[`${mode}:${run}`] as number)));
    const origRate = rate(n, median(original));
    console.log(
      `| ${name} | ${MODES.map((m) => fmt(oursRate(m))).join(' | ')} | ${fmt(origRate)} | ${MODES.map((m) => `${fmt(oursRate(m) / origRate, 2)}×`).join(' | ')} |`,
    );
  }

  const dir = tempDirectory();
  try {
    const file = join(dir, 'store.sb');
    writeStore(file, LOAD);
    const size = statSync(file).size;
    console.log(`\n## A store of ${fmt(LOAD)} updates (${fmt(size / 2 ** 20, 1)} MiB), each load in a fresh process\n`);
    const oursRuns: ChildResult[] = [];
    const originalRuns: ChildResult[] = [];
    for (let run = 0; run < LOAD_RUNS; run++) {
      // The original's rewrite is quadratic: measured in the first run only.
      if (run % 2 === 0) {
        oursRuns.push(runChild('ours', file, LOAD));
        originalRuns.push(runChild('original', file, LOAD, run === 0));
      } else {
        originalRuns.push(runChild('original', file, LOAD, false));
        oursRuns.push(runChild('ours', file, LOAD));
      }
    }
    const ours = medianResult(oursRuns);
    const original = medianResult(originalRuns);
    console.log('| | ours | original | ratio |');
    console.log('|---|---:|---:|---:|');
    console.log(`| load time (ms) | ${fmt(ours.loadMs)} | ${fmt(original.loadMs)} | ${fmt(original.loadMs / ours.loadMs, 2)}× |`);
    console.log(
      `| load CPU time (ms) | ${fmt(ours.loadCpuMs)} | ${fmt(original.loadCpuMs)} | ${fmt(original.loadCpuMs / ours.loadCpuMs, 2)}× |`,
    );
    console.log(
      `| load rate (updates/s) | ${fmt(rate(LOAD, ours.loadMs))} | ${fmt(rate(LOAD, original.loadMs))} | ${fmt(original.loadMs / ours.loadMs, 2)}× |`,
    );
    console.log(
      `| heap retained after load (MiB) | ${fmt(ours.heapMB, 1)} | ${fmt(original.heapMB, 1)} | ${fmt(original.heapMB / ours.heapMB, 2)}× |`,
    );
    console.log(`| RSS after load (MiB) | ${fmt(ours.rssMB, 1)} | ${fmt(original.rssMB, 1)} | ${fmt(original.rssMB / ours.rssMB, 2)}× |`);
    console.log(
      `| peak RSS during the load (MiB) | ${fmt(ours.loadPeakRssMB, 1)} | ${fmt(original.loadPeakRssMB, 1)} | ${fmt(original.loadPeakRssMB / ours.loadPeakRssMB, 2)}× |`,
    );
    console.log(
      `| peak RSS, load + compaction (MiB) | ${fmt(ours.maxRssMB, 1)} | ${fmt(original.maxRssMB, 1)} | ${fmt(original.maxRssMB / ours.maxRssMB, 2)}× |`,
    );
    console.log(
      `| compaction / rewrite (ms) | ${fmt(ours.compactMs)} | ${fmt(original.compactMs)} | ${fmt(original.compactMs / ours.compactMs, 2)}× |`,
    );
    console.log(
      `| compaction / rewrite CPU (ms) | ${fmt(ours.compactCpuMs)} | ${fmt(original.compactCpuMs)} | ${fmt(original.compactCpuMs / ours.compactCpuMs, 2)}× |`,
    );
    console.log(`| bytes after compaction / rewrite | ${fmt(ours.compactedBytes)} | ${fmt(original.compactedBytes)} | |`);
    console.log(
      '\nOur compaction writes a temporary file, fsyncs it, renames it over the log and fsyncs the directory; ' +
        "the original's rewrite is only the write (no fsync, no atomic rename), measured in one run (it is quadratic).",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
