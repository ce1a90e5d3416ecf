/**
 * @module test/helpers/persist-crash
 * The harness of the kill -9 suites: bundles the writer process once (esbuild, so that each of
 * hundreds of trials starts in tens of milliseconds instead of compiling TypeScript again),
 * runs a trial (spawn, wait, SIGKILL at a seeded random moment, collect the acknowledgements),
 * and checks the stored state as a restarted process sees it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Events, Model } from '../../src/index.ts';
import { type CorruptLine, type Durability, persist } from '../../src/persist/index.ts';
import { tempDir } from './persist-fs.ts';

/** Trials per suite: 20 in the default run, 200 with `SB_EXTENSIVE` (or `SB_TRIALS`). */
export const TRIALS = Number(process.env.SB_TRIALS ?? (process.env.SB_EXTENSIVE ? 200 : 20));

/** The seed of a suite: `SB_SEED`, or a fixed default so that every run is reproducible. */
export function seedOf(fallback: number): number {
  return process.env.SB_SEED === undefined ? fallback : Number(process.env.SB_SEED);
}

/** A small seeded PRNG (mulberry32), in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bundles `persist-crash-writer.ts` into one ES module in a temporary directory. */
export async function bundleWriter(t: TestContext): Promise<string> {
  const outfile = join(tempDir(t, 'sb-writer-'), 'writer.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./persist-crash-writer.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/** The writer's configuration. */
export interface WriterConfig {
  readonly dir: string;
  readonly durability: Durability;
  readonly seed: number;
  readonly workload: 'append' | 'compact';
}

/** What a killed writer reported. */
export interface TrialResult {
  /** The `i` it continued from, or null when killed before its store was ready. */
  readonly startedAt: number | null;
  /** The highest `i` whose flush() had resolved. */
  readonly acked: number;
}

/**
 * Runs the writer and kills it with SIGKILL `killAfterMs` after it is ready (or after it was
 * spawned, when `early`).
 * @throws when the writer exits by itself (a crash of the store)
 */
export function runTrial(script: string, config: WriterConfig, killAfterMs: number, early: boolean): Promise<TrialResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const safety = setTimeout(kill, 20_000);
    if (early) timer = setTimeout(kill, killAfterMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (!early && timer === undefined && stdout.includes('ready ')) timer = setTimeout(kill, killAfterMs);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(safety);
      if (signal !== 'SIGKILL') {
        reject(new Error(`the writer exited by itself (code ${code}, signal ${signal}): ${stderr || stdout}`));
        return;
      }
      const ready = /^ready (\d+)$/m.exec(stdout);
      let acked = 0;
      for (const match of stdout.matchAll(/^ack (\d+)$/gm)) acked = Math.max(acked, Number(match[1]));
      resolve({ startedAt: ready ? Number(ready[1]) : null, acked });
    });
  });
}

/**
 * Loads the stores as a restarted process would and checks that every update up to `acked` is
 * there. Torn tails are expected (the kill lands inside writes); any other corruption fails.
 * @param context - printed with every failure (trial number, seed)
 * @returns the `n` the model reached on disk
 */
export async function verifyStores(dir: string, workload: WriterConfig['workload'], acked: number, context: string): Promise<number> {
  const corrupt: CorruptLine[] = [];
  const model = new Model('V');
  const modelStore = persist(model, join(dir, 'model.sb'));
  modelStore.on('corrupt', (line: CorruptLine) => corrupt.push(line));
  try {
    await modelStore.ready;
  } catch (error) {
    assert.fail(`${context}: the model store does not load: ${(error as Error).message}`);
  }
  try {
    const n = Number(model.get('n') ?? 0);
    assert.ok(n >= acked, `${context}: n = ${n} on disk, but ${acked} was acknowledged`);
    if (workload === 'append') {
      for (let j = 1; j <= acked; j++) {
        if (model.get(`k${j}`) !== j) assert.fail(`${context}: k${j} = ${String(model.get(`k${j}`))} after acknowledging ${acked}`);
      }
      for (let j = Math.max(1, acked - 15); j <= acked; j++) {
        assert.ok((model.get(`h${j % 16}`) as number) >= j, `${context}: h${j % 16} is older than ${j}`);
      }
    } else {
      for (let j = Math.max(1, acked - 499); j <= acked; j++) {
        const value = model.get(`k${j % 500}`) as { i: number } | undefined;
        assert.ok(value !== undefined && value.i >= j, `${context}: k${j % 500} is older than ${j}`);
      }
    }
    assert.deepEqual(
      corrupt.filter((c) => c.kind !== 'torn-tail').map((c) => c.error.message),
      [],
      `${context}: a kill can only tear the last line`,
    );
    if (workload === 'append') await verifyEvents(dir, acked, context);
    return n;
  } finally {
    await modelStore.close();
  }
}

async function verifyEvents(dir: string, acked: number, context: string): Promise<void> {
  const events = new Events('V');
  const seen = new Set<number>();
  events.on('e', (i: number) => seen.add(i));
  const store = persist(events, join(dir, 'events.sb'));
  try {
    await store.ready;
  } catch (error) {
    assert.fail(`${context}: the events store does not load: ${(error as Error).message}`);
  }
  try {
    for (let j = 1; j <= acked; j++) if (!seen.has(j)) assert.fail(`${context}: event ${j} is missing after acknowledging ${acked}`);
  } finally {
    await store.close();
  }
}
