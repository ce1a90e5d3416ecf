/**
 * @module env
 * What a result depends on: the machine, Node, the packages compared and our commit.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const root = new URL('../../', import.meta.url);

function versionOf(packageJson: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function commit(): string {
  try {
    const cwd = root.pathname;
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8' }).trim().length > 0;
    return dirty ? `${hash} (src modified)` : hash;
  } catch {
    return 'unknown';
  }
}

/** The environment of a run. */
export interface Environment {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly commit: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine adds noise. */
  readonly loadAverage: readonly number[];
}

/** Reads the environment. */
export function environment(): Environment {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: {
      'scuttlebutt-ts': versionOf(new URL('package.json', root)),
      scuttlebutt: versionOf(new URL('node_modules/scuttlebutt/package.json', root)),
      yjs: versionOf(new URL('node_modules/yjs/package.json', root)),
    },
    commit: commit(),
    loadAverage: os.loadavg(),
  };
}

/** One line per fact, for the top of the report. */
export function describeEnvironment(env: Environment): string {
  const packages = Object.entries(env.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `machine: ${env.cpu} × ${env.cores} cores, ${env.memoryGiB} GiB, ${env.os}`,
    `node ${env.node}; ${packages}; commit ${env.commit}`,
    `load average at start: ${formatLoad(env.loadAverage)} (on ${env.cores} cores)`,
  ].join('\n');
}

/** `1.02 0.87 0.50`. */
export function formatLoad(load: readonly number[] = os.loadavg()): string {
  return load.map((x) => x.toFixed(2)).join(' ');
}
