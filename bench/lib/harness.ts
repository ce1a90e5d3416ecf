/**
 * @module harness
 * The shapes every workload implements, and the round-robin runner that measures them inside one
 * child process.
 *
 * Theory of operation: a {@link Workload} has a few {@link Variant}s (ours, the original, Yjs, the
 * JSON floor). The runner opens each variant once for the size (untimed: shared state such as a
 * filled model), then runs warm-up trials, then measured rounds in which the variants alternate
 * (A B C, then C B A, …) so that drift on a noisy machine touches them alike. A trial is prepared
 * untimed, the collector is run, only {@link Trial.run} is timed, and {@link Trial.check} must
 * then prove that the data arrived: a wrong result throws and fails the whole run.
 */

/** The variants a table has columns for. */
export type VariantName = 'ours' | 'original' | 'yjs' | 'floor';

/** Column order of the table. */
export const VARIANT_ORDER: readonly VariantName[] = ['ours', 'original', 'yjs', 'floor'];

/** What one sample means. `ms` is wall time of {@link Trial.run}; the others are returned by it. */
export type Unit = 'ms' | 'ms/call' | 'B/key' | 'B/event' | 'B/update';

/** A measurement a trial reports itself (heap, bytes, per-call time), with optional details. */
export interface Measurement {
  readonly value: number;
  /** Extra figures printed under the table (for instance bytes per direction). */
  readonly detail?: Readonly<Record<string, number>>;
}

/** One measured run. */
export interface Trial {
  /**
   * The measured part. Unless it returns a measurement, it is timed (unit `ms`); trials that
   * time their own parts (per call, per handshake) or measure bytes return the figure.
   */
  run(): Promise<Measurement | undefined> | Measurement | undefined;
  /** Throws unless the data really arrived (key counts, the last value). Untimed. */
  check(): void;
  /** Untimed clean-up: close streams, sockets. */
  done?(): Promise<void> | void;
}

/** A variant's state for one size, shared by all its trials. */
export interface Subject {
  /** Untimed preparation of one trial. */
  prepare(): Promise<Trial> | Trial;
  /** Releases the shared state at the end. */
  close?(): Promise<void> | void;
}

/** One implementation of a workload. */
export interface Variant {
  readonly name: VariantName;
  /** Builds the shared state for a size (untimed). */
  open(size: number): Promise<Subject> | Subject;
}

/** Which sizes a workload runs at, per mode. */
export interface Sizes {
  readonly quick: readonly number[];
  readonly standard: readonly number[];
  /** Added by `--big`. */
  readonly big: readonly number[];
}

/** A goal from issue 4: ours ≤ `ratio` × the original at size `at`. */
export interface Target {
  readonly ratio: number;
  readonly at: number;
  readonly text: string;
}

/** One benchmark. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  /** What the size counts: keys (N), updates or events (M). */
  readonly sizeLabel: 'N' | 'M';
  readonly sizes: Sizes;
  /**
   * How much work one item costs relative to one key of a single-link sync (the fan-out's update
   * crosses 20 links: 20). The runner picks fewer rounds for bigger work. Default 1.
   */
  readonly workFactor?: number;
  readonly target?: Target;
  /** Variants left out at a size unless `--slow` (the original's quadratic paths at 1M). */
  readonly slow?: Readonly<Partial<Record<VariantName, number>>>;
  readonly variants: readonly Variant[];
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  readonly rounds: number;
  readonly warmup: number;
  /** A trial that takes longer fails (a hang is a failure, not a number). */
  readonly timeoutMs: number;
  readonly skip: ReadonlySet<VariantName>;
}

/** Raw result of one workload at one size. */
export interface RawResult {
  readonly id: string;
  readonly size: number;
  readonly unit: Unit;
  readonly rounds: number;
  readonly warmup: number;
  readonly samples: Partial<Record<VariantName, number[]>>;
  /**
   * CPU time (user + system, all threads of the child) of each timed run, in ms, for workloads
   * timed by the runner. Less sensitive than wall time to other processes on the machine.
   */
  readonly cpu: Partial<Record<VariantName, number[]>>;
  readonly detail: Partial<Record<VariantName, Record<string, number>>>;
  readonly skipped: VariantName[];
}

/** Runs `globalThis.gc` (the child runs with `--expose-gc`) `times` times. */
export function collectGarbage(times = 1): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the worker with --expose-gc');
  for (let k = 0; k < times; k++) gc();
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A sample: the measurement, and the CPU time when the runner timed the run itself. */
interface Sample extends Measurement {
  readonly cpuMs?: number;
}

async function runTrial(workload: Workload, variant: Variant, subject: Subject, timeoutMs: number): Promise<Sample> {
  const label = `${workload.id}/${variant.name}`;
  const trial = await withTimeout(Promise.resolve(subject.prepare()), timeoutMs, `${label} prepare`);
  collectGarbage();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = await withTimeout(Promise.resolve(trial.run()), timeoutMs, `${label} run`);
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  try {
    trial.check();
  } catch (error) {
    throw new Error(`${label}: wrong result: ${(error as Error).message}`);
  }
  await trial.done?.();
  if (result !== undefined) return result;
  if (workload.unit === 'ms') return { value: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 };
  throw new Error(`${label}: a ${workload.unit} trial must return its measurement`);
}

/**
 * Measures every variant of a workload at one size, alternating their order round by round.
 * @throws Error when a trial's check fails or a trial times out
 */
export async function measure(workload: Workload, size: number, options: MeasureOptions): Promise<RawResult> {
  const variants = workload.variants.filter((v) => !options.skip.has(v.name));
  const subjects = new Map<Variant, Subject>();
  for (const variant of variants) subjects.set(variant, await variant.open(size));
  const samples: Partial<Record<VariantName, number[]>> = {};
  const cpu: Partial<Record<VariantName, number[]>> = {};
  const detail: Partial<Record<VariantName, Record<string, number>>> = {};
  const once = (variant: Variant): Promise<Sample> => runTrial(workload, variant, subjects.get(variant) as Subject, options.timeoutMs);
  for (let w = 0; w < options.warmup; w++) {
    for (const variant of w % 2 === 0 ? variants : [...variants].reverse()) await once(variant);
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const m = await once(variant);
      (samples[variant.name] ??= []).push(m.value);
      if (m.cpuMs !== undefined) (cpu[variant.name] ??= []).push(m.cpuMs);
      if (m.detail !== undefined) detail[variant.name] = { ...m.detail };
    }
  }
  for (const subject of subjects.values()) await subject.close?.();
  const skipped = workload.variants.filter((v) => options.skip.has(v.name)).map((v) => v.name);
  return { id: workload.id, size, unit: workload.unit, rounds: options.rounds, warmup: options.warmup, samples, cpu, detail, skipped };
}
