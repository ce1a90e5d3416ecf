/**
 * @module hub/metrics
 * A writer of the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then
 * one sample per line, label values escaped (`\\`, `\"`, `\n`). Only what the hub needs: gauges
 * and counters with labels.
 */

/** One sample: labels and a value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The content type of the format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Collects metric families and renders them.
 *
 * @example
 * ```ts
 * const w = new MetricsWriter()
 * w.gauge('scuttlebutt_peers', 'Open peer connections.', [{ labels: { transport: 'ws' }, value: 3 }])
 * w.toString() // '# HELP scuttlebutt_peers Open peer connections.\n# TYPE scuttlebutt_peers gauge\nscuttlebutt_peers{transport="ws"} 3\n'
 * ```
 */
export class MetricsWriter {
  readonly #lines: string[] = [];
  readonly #names = new Set<string>();

  /**
   * Adds a gauge family.
   * @throws RangeError for an invalid or repeated metric name, or an invalid label name
   */
  gauge(name: string, help: string, samples: readonly Sample[] | number): this {
    return this.#family(name, 'gauge', help, samples);
  }

  /**
   * Adds a counter family (by convention its name ends in `_total`).
   * @throws RangeError for an invalid or repeated metric name, or an invalid label name
   */
  counter(name: string, help: string, samples: readonly Sample[] | number): this {
    return this.#family(name, 'counter', help, samples);
  }

  /** The exposition text. */
  toString(): string {
    return this.#lines.join('');
  }

  #family(name: string, type: string, help: string, samples: readonly Sample[] | number): this {
    if (!NAME.test(name)) throw new RangeError(`"name" expected a Prometheus metric name, got ${JSON.stringify(name)}`);
    if (this.#names.has(name)) throw new RangeError(`metric ${name} was already written`);
    this.#names.add(name);
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`, `# TYPE ${name} ${type}\n`);
    const list = typeof samples === 'number' ? [{ value: samples }] : samples;
    for (const sample of list) this.#lines.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`);
    return this;
  }
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const parts: string[] = [];
  for (const key of Object.keys(labels)) {
    if (!LABEL.test(key) || key.startsWith('__'))
      throw new RangeError(`label name expected [a-zA-Z_][a-zA-Z0-9_]*, got ${JSON.stringify(key)}`);
    const value = String(labels[key]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    parts.push(`${key}="${value}"`);
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
