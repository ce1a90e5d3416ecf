/**
 * @module worker
 * Runs one workload at one size in its own process and prints its raw samples as one JSON line
 * on stdout (everything else goes to stderr). Started by `run.ts`:
 * `node --expose-gc --import tsx bench/worker.ts <id> <size> <rounds> <warmup> [skip,list]`.
 * A failed correctness check or a timeout exits with status 1.
 */
import { type MeasureOptions, measure, type VariantName } from './lib/harness.ts';
import { findWorkload } from './registry.ts';

// Keep stdout for the result alone.
console.log = console.error;

const [id, size, rounds, warmup, skip] = process.argv.slice(2);
try {
  const workload = findWorkload(String(id));
  const n = Number(size);
  const options: MeasureOptions = {
    rounds: Number(rounds ?? 5),
    warmup: Number(warmup ?? 1),
    timeoutMs: Math.max(60_000, n / 10),
    skip: new Set((skip ?? '').split(',').filter((s) => s.length > 0) as VariantName[]),
  };
  if (!Number.isInteger(n) || n < 10) throw new Error(`size expected an integer >= 10, got ${size}`);
  const result = await measure(workload, n, options);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`, () => process.exit(1));
}
