/**
 * @module run
 * `npm run bench`: runs every workload at every size, each in its own child process
 * (`worker.ts`), and prints the environment, the table, the slopes and the targets of issue 4.
 *
 * Flags: `--quick` (small sizes, few rounds; under a minute), `--big` (adds N = 1M),
 * `--slow` (with `--big`, also runs the original's quadratic TCP sync at 1M), `--json FILE`
 * (writes the raw samples), `--only id,id` (a subset, e.g. `--only full-sync,core/merge`; the id
 * `models` is the data-model benchmark, `bench/models.bench.ts`, which runs last in its own child).
 * Exits with status 1 if any run failed its correctness check.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeEnvironment, environment, formatLoad } from './lib/env.ts';
import type { RawResult, Workload } from './lib/harness.ts';
import { details, flatness, fmtSize, mainTable, type Row, slopeTable, targetTable } from './lib/report.ts';
import { WORKLOADS } from './registry.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    big: { type: 'boolean', default: false },
    slow: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
  },
});

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));
const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** Rounds and warm-ups per amount of work: more where runs are short and noisy. */
function schedule(workload: Workload, size: number): { rounds: number; warmup: number } {
  if (flags.quick) return { rounds: 3, warmup: 1 };
  const work = size * (workload.workFactor ?? 1);
  if (work <= 10_000) return { rounds: 11, warmup: 3 };
  if (work <= 200_000) return { rounds: 7, warmup: 2 };
  return { rounds: 3, warmup: 1 };
}

function sizesOf(workload: Workload): number[] {
  if (flags.quick) return [...workload.sizes.quick];
  return [...workload.sizes.standard, ...(flags.big ? workload.sizes.big : [])];
}

interface Job {
  readonly workload: Workload;
  readonly size: number;
  readonly skip: string[];
}

function runJob(job: Job): Promise<Row> {
  const { rounds, warmup } = schedule(job.workload, job.size);
  const args = ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', workerPath];
  args.push(job.workload.id, String(job.size), String(rounds), String(warmup), job.skip.join(','));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('close', (code) => {
      const base = { workload: job.workload, size: job.size };
      if (code !== 0) {
        const message = stderr.trim().split('\n')[0] ?? `exit ${code}`;
        process.stderr.write(`\n${stderr}\n`);
        resolve({ ...base, error: message });
        return;
      }
      try {
        resolve({ ...base, result: JSON.parse(stdout.trim().split('\n').pop() ?? '') as RawResult });
      } catch {
        resolve({ ...base, error: `unreadable worker output: ${stdout.slice(0, 200)}` });
      }
    });
  });
}

const only = flags.only ? new Set(flags.only.split(',')) : undefined;
const jobs: Job[] = [];
for (const workload of WORKLOADS) {
  if (only && !only.has(workload.id)) continue;
  for (const size of sizesOf(workload)) {
    const skip = Object.entries(workload.slow ?? {})
      .filter(([, from]) => !flags.slow && size >= (from as number))
      .map(([name]) => name);
    jobs.push({ workload, size, skip });
  }
}

const env = environment();
console.log(describeEnvironment(env));
const mode = flags.quick ? 'quick' : flags.big ? 'big' : 'default';
console.log(`mode: ${mode}; one child process per workload and size; variants alternate round by round after warm-up\n`);

const started = performance.now();
const rows: Row[] = [];
for (const job of jobs) {
  const t0 = performance.now();
  process.stderr.write(`${job.workload.id} ${job.workload.sizeLabel}=${fmtSize(job.size)} … `);
  const row = await runJob(job);
  rows.push(row);
  process.stderr.write(`${row.error ? 'FAILED' : 'ok'} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}

console.log(mainTable(rows));
console.log('\nScaling (log-log slope of total cost between sizes: 0 flat, 1 linear, 2 quadratic)\n');
console.log(slopeTable(rows));
console.log('\nTargets (issue 4; ratios of medians taken in the same process)\n');
console.log(targetTable(rows));
const flat = flatness(rows, 'incremental');
const notes = [...(flat ? [flat] : []), ...details(rows)];
if (notes.length > 0) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end: ${formatLoad()}`);

if (flags.json) {
  writeFileSync(
    flags.json,
    `${JSON.stringify({ env, mode, flags, rows: rows.map((r) => ({ ...r, workload: r.workload.id })) }, null, 2)}\n`,
  );
  console.log(`raw samples written to ${flags.json}`);
}
/** The data models of issue 8 (`bench/models.bench.ts`): its own table, printed as it comes. */
async function runModels(): Promise<boolean> {
  const script = fileURLToPath(new URL('./models.bench.ts', import.meta.url));
  const args = ['--max-old-space-size=8192', '--import', 'tsx', script];
  if (flags.quick) args.push('--quick');
  if (flags.big) args.push('--big');
  console.log('\nData models (issue 8; bench/models.bench.ts)\n');
  const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return code === 0;
}

const modelsFailed = (only === undefined || only.has('models')) && !(await runModels());
if (modelsFailed) {
  console.error('\nthe data-model benchmark failed');
  process.exitCode = 1;
}
const failed = rows.filter((r) => r.error !== undefined);
if (failed.length > 0) {
  console.error(`\n${failed.length} run(s) failed: ${failed.map((r) => `${r.workload.id} ${fmtSize(r.size)}`).join(', ')}`);
  process.exitCode = 1;
}
