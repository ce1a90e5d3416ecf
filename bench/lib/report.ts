/**
 * @module report
 * Turns raw results into the printed report: the main table (median and min–max per variant,
 * each variant's ratio to the original measured in the same process), the log-log slopes, and
 * the targets of issue 4. Tables are Markdown so they can be pasted into the README.
 */
import { type RawResult, VARIANT_ORDER, type VariantName, type Workload } from './harness.ts';
import { slope, summarize } from './stats.ts';

/** A workload's result at one size; `error` when the run failed. */
export interface Row {
  readonly workload: Workload;
  readonly size: number;
  readonly result?: RawResult;
  readonly error?: string;
}

/** 3 significant digits, without exponent for the magnitudes we print. */
export function fmt(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs >= 0.01) return value.toFixed(3);
  return value.toPrecision(2);
}

/** `10k`, `100k`, `1M`. */
export function fmtSize(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

const ratio = (result: RawResult, name: VariantName, base: VariantName = 'original'): number | undefined => {
  const a = summarize(result.samples[name]);
  const b = summarize(result.samples[base]);
  return a && b && b.median !== 0 ? a.median / b.median : undefined;
};

/** The same ratio on CPU time (only for runs the runner timed itself). */
const cpuRatio = (result: RawResult, name: VariantName, base: VariantName = 'original'): number | undefined => {
  const a = summarize(result.cpu?.[name]);
  const b = summarize(result.cpu?.[base]);
  return a && b && b.median !== 0 ? a.median / b.median : undefined;
};

function cell(result: RawResult, name: VariantName): string {
  if (result.skipped.includes(name)) return 'skipped';
  const s = summarize(result.samples[name]);
  return s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '-';
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const ratioCell = (value: number | undefined): string => (value === undefined ? '-' : `${fmt(value)}×`);

/** The main table: one line per workload and size. */
export function mainTable(rows: readonly Row[]): string {
  const head = ['workload', 'size', 'unit', ...VARIANT_ORDER, 'ours/orig', 'yjs/orig', 'floor/orig', 'cpu ours/orig'];
  const body = rows.map((row) => {
    const lead = [row.workload.title, `${row.workload.sizeLabel}=${fmtSize(row.size)}`, row.workload.unit];
    const result = row.result;
    if (result === undefined) return [...lead, `FAILED: ${row.error ?? ''}`, '', '', '', '', '', '', ''];
    return [
      ...lead,
      ...VARIANT_ORDER.map((name) => cell(result, name)),
      ratioCell(ratio(result, 'ours')),
      ratioCell(ratio(result, 'yjs')),
      ratioCell(ratio(result, 'floor')),
      ratioCell(cpuRatio(result, 'ours')),
    ];
  });
  return table(head, body);
}

/** Log-log slopes between consecutive sizes of each workload. */
export function slopeTable(rows: readonly Row[]): string {
  const body: string[][] = [];
  const byWorkload = new Map<Workload, Row[]>();
  for (const row of rows) if (row.result) byWorkload.set(row.workload, [...(byWorkload.get(row.workload) ?? []), row]);
  for (const [workload, list] of byWorkload) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((x, y) => x.size - y.size);
    const sizes = sorted.map((r) => fmtSize(r.size)).join(' → ');
    const cells = VARIANT_ORDER.map((name) => {
      const parts: string[] = [];
      for (let k = 1; k < sorted.length; k++) {
        const r1 = (sorted[k - 1] as Row).result as RawResult;
        const r2 = (sorted[k] as Row).result as RawResult;
        const s1 = summarize(r1.samples[name]);
        const s2 = summarize(r2.samples[name]);
        parts.push(s1 && s2 ? fmt(slope(workload.unit, r1.size, s1.median, r2.size, s2.median)) : '-');
      }
      return parts.every((p) => p === '-') ? '-' : parts.join(' / ');
    });
    body.push([workload.title, sizes, ...cells]);
  }
  return table(['workload', 'sizes', ...VARIANT_ORDER], body);
}

/** Each target of issue 4 against this run, and ours against Yjs wherever Yjs ran. */
export function targetTable(rows: readonly Row[]): string {
  const body: string[][] = [];
  for (const workload of new Set(rows.map((r) => r.workload))) {
    const done = rows.filter((r) => r.workload === workload && r.result !== undefined).sort((x, y) => x.size - y.size);
    const largest = done[done.length - 1];
    if (largest === undefined) continue;
    const target = workload.target;
    // In --quick mode the target size is not run: judge at the largest size and say so.
    const judged = (target && done.find((r) => r.size === target.at)) ?? largest;
    const result = judged.result as RawResult;
    const vsOrig = ratio(result, 'ours');
    const vsYjs = ratio(result, 'ours', 'yjs');
    if (target === undefined && vsYjs === undefined) continue;
    const off = target !== undefined && judged.size !== target.at ? ` (goal is at ${fmtSize(target.at)})` : '';
    let verdict = '-';
    if (target && vsOrig !== undefined) verdict = vsOrig <= target.ratio ? 'met' : 'MISSED';
    body.push([
      workload.title,
      `${workload.sizeLabel}=${fmtSize(judged.size)}${off}`,
      target ? target.text : '-',
      ratioCell(vsOrig),
      verdict,
      ratioCell(cpuRatio(result, 'ours')),
      ratioCell(vsYjs),
      vsYjs === undefined ? '-' : vsYjs < 1 ? 'better' : 'WORSE',
    ]);
  }
  return table(['workload', 'at', 'goal vs original', 'ours/orig', 'verdict', 'cpu ours/orig', 'ours/yjs', 'vs Yjs (goal: better)'], body);
}

/** How ours' cost grows between the smallest and largest size, for workloads that must be flat. */
export function flatness(rows: readonly Row[], id: string): string | undefined {
  const list = rows.filter((r) => r.workload.id === id && r.result).sort((x, y) => x.size - y.size);
  if (list.length < 2) return undefined;
  const first = list[0] as Row;
  const last = list[list.length - 1] as Row;
  const a = summarize(first.result?.samples.ours);
  const b = summarize(last.result?.samples.ours);
  if (!a || !b) return undefined;
  const goal = last.size >= 1_000_000 && first.size <= 10_000 ? ' (goal ≤ 2× from 10k to 1M)' : '';
  return `${first.workload.title}: ours at ${fmtSize(last.size)} costs ${fmt(b.median / a.median)}× its cost at ${fmtSize(first.size)}${goal}`;
}

/** Extra figures some workloads report (bytes per direction). */
export function details(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const detail = row.result?.detail;
    if (!detail) continue;
    for (const name of VARIANT_ORDER) {
      const d = detail[name];
      if (!d) continue;
      const parts = Object.entries(d).map(([k, v]) => `${k} ${fmt(v)}`);
      out.push(`${row.workload.title}, ${row.workload.sizeLabel}=${fmtSize(row.size)}, ${name}: ${parts.join(', ')} ${row.workload.unit}`);
    }
  }
  return out;
}
