/**
 * @module bench/load/run
 * The hub load harness (issue 7, "Measure"): one hub (`scuttlebutt serve`, a child process), N
 * WebSocket clients on loopback (default 200, spread over worker threads), each writing one update
 * per second for a minute, then a burst in which every client writes K updates at once. It
 * reports the hub's CPU and memory (from its `/metrics`) and the time from a write to its arrival
 * at every other client (p50, p99, max), for the steady phase and for the burst, and how long the
 * burst took to converge everywhere.
 *
 * Not a timed test and not part of `npm test`:
 *   node --import tsx bench/load/run.ts            # 200 clients, 60 s, burst of 20
 *   node --import tsx bench/load/run.ts --quick    # 50 clients, 10 s, burst of 5
 * Options: --clients N, --seconds S, --rate R (updates per client per second), --burst K,
 * --workers W (client threads, default: cores - 1), --light (raw protocol clients instead of full
 * Model replicas, to isolate the hub on a small machine), --hub-args "..." (extra `serve`
 * arguments), --json.
 * The result is printed and written to bench/results/load-<time>.json.
 *
 * Caveat: clients and hub share the machine; on a small one the clients' own CPU inflates the
 * latencies. The report includes the load average and the client threads' event-loop delay.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { BUCKET_MS, BUCKETS, type ShareReport } from './clients.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    rate: { type: 'string' },
    burst: { type: 'string' },
    workers: { type: 'string' },
    'hub-args': { type: 'string' },
    json: { type: 'boolean' },
    light: { type: 'boolean' },
  },
});
const quick = values.quick === true;
const CLIENTS = Number(values.clients ?? (quick ? 50 : 200));
const SECONDS = Number(values.seconds ?? (quick ? 10 : 60));
const RATE = Number(values.rate ?? 1);
const BURST = Number(values.burst ?? (quick ? 5 : 20));
// One core is left to the hub: client threads that compete with it measure the contention, not the hub.
const WORKERS = Math.max(1, Math.min(CLIENTS, Number(values.workers ?? Math.max(1, cpus().length - 1))));

interface HubSample {
  readonly at: number;
  readonly cpuSeconds: number;
  readonly rss: number;
  readonly heap: number;
}

/** Starts `scuttlebutt serve` in memory on free ports; resolves with the child and its HTTP port. */
async function startHub(): Promise<{ child: ChildProcess; port: number }> {
  const extra = (values['hub-args'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--memory',
      '--port',
      '0',
      '--no-tcp',
      '--max-peers',
      String(CLIENTS + 100),
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let buffer = '';
  return new Promise((resolvePort, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      for (const line of buffer.split('\n')) {
        try {
          const record = JSON.parse(line) as { msg?: string; httpPort?: number; level?: string };
          if (record.msg === 'hub listening' && typeof record.httpPort === 'number') resolvePort({ child, port: record.httpPort });
          if (record.level === 'error') process.stderr.write(`hub: ${line}\n`);
        } catch {
          // partial line
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`the hub exited with ${code}`)));
  });
}

/** Reads the hub's CPU seconds and memory from /metrics. */
async function sampleHub(port: number): Promise<HubSample> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metric = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  };
  return {
    at: performance.now(),
    cpuSeconds: metric('process_cpu_user_seconds_total') + metric('process_cpu_system_seconds_total'),
    rss: metric('process_resident_memory_bytes'),
    heap: metric('nodejs_heap_used_bytes'),
  };
}

/** A client worker and a typed request/reply over its port. */
class Share {
  readonly worker: Worker;
  constructor(url: string, first: number, count: number) {
    // A worker cannot start from a .ts file in Node 20: register tsx in it first, then import.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./clients.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
    this.worker = new Worker(bootstrap, { eval: true, workerData: { url, first, count, total: CLIENTS, light: values.light === true } });
    this.worker.on('error', (error) => {
      console.error('a client thread failed:', error);
      process.exit(1);
    });
  }
  async ask<T>(message: Record<string, unknown>, reply: string): Promise<T> {
    const answer = new Promise<T>((resolveReply) => {
      const onMessage = (m: { type: string } & T): void => {
        if (m.type !== reply) return;
        this.worker.off('message', onMessage);
        resolveReply(m);
      };
      this.worker.on('message', onMessage);
    });
    this.worker.postMessage(message);
    return answer;
  }
}

interface PhaseResult {
  readonly seconds: number;
  readonly writes: number;
  readonly arrivals: number;
  readonly expectedArrivals: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly hubCpuPercent: number;
  readonly hubRssMiB: number;
  readonly hubHeapMiB: number;
  readonly convergedMs?: number;
}

function percentile(histogram: Uint32Array, total: number, q: number): number {
  if (total === 0) return Number.NaN;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += histogram[i] as number;
    if (seen >= rank) return Math.round((i + 1) * BUCKET_MS * 10) / 10;
  }
  return BUCKETS * BUCKET_MS;
}

async function collect(
  shares: Share[],
): Promise<{ histogram: Uint32Array; arrivals: number; writes: number; convergedAt: number; disconnects: number }> {
  const histogram = new Uint32Array(BUCKETS);
  let arrivals = 0;
  let writes = 0;
  let convergedAt = 0;
  let disconnects = 0;
  for (const share of shares) {
    const { report } = await share.ask<{ report: ShareReport }>({ type: 'report' }, 'report');
    for (let i = 0; i < BUCKETS; i++) histogram[i] = (histogram[i] as number) + (report.histogram[i] as number);
    arrivals += report.arrivals;
    writes += report.writes;
    convergedAt = Math.max(convergedAt, report.convergedAt);
    disconnects = Math.max(disconnects, report.disconnects);
  }
  return { histogram, arrivals, writes, convergedAt, disconnects };
}

async function main(): Promise<void> {
  const hub = await startHub();
  // Whatever happens to this process (a worker crash included), the hub does not outlive it.
  process.once('exit', () => hub.child.kill('SIGKILL'));
  const url = `ws://127.0.0.1:${hub.port}/ws`;
  console.error(`hub on ${url}; ${CLIENTS} clients in ${WORKERS} threads; ${SECONDS} s at ${RATE}/s per client; burst of ${BURST}`);
  const samples: HubSample[] = [];
  const sampler = setInterval(() => {
    sampleHub(hub.port).then(
      (s) => samples.push(s),
      () => {},
    );
  }, 1000);
  try {
    const per = Math.ceil(CLIENTS / WORKERS);
    const shares: Share[] = [];
    for (let first = 0; first < CLIENTS; first += per) shares.push(new Share(url, first, Math.min(per, CLIENTS - first)));
    const connectStart = performance.now();
    await Promise.all(shares.map((s) => s.ask({ type: 'connect' }, 'connected')));
    const connectMs = performance.now() - connectStart;
    console.error(`connected in ${Math.round(connectMs)} ms`);
    await collect(shares); // discard the connect phase

    const phase = async (name: string, run: () => Promise<void>, expected: (writes: number) => number): Promise<PhaseResult> => {
      const before = await sampleHub(hub.port);
      const start = performance.now();
      await run();
      await new Promise((r) => setTimeout(r, 500)); // let the last arrivals land
      const after = await sampleHub(hub.port);
      const wall = (performance.now() - start) / 1000;
      const { histogram, arrivals, writes, convergedAt } = await collect(shares);
      const during = samples.filter((s) => s.at >= before.at && s.at <= after.at).concat([before, after]);
      const result: PhaseResult = {
        seconds: Math.round(wall * 10) / 10,
        writes,
        arrivals,
        expectedArrivals: expected(writes),
        latencyMs: {
          p50: percentile(histogram, arrivals, 0.5),
          p90: percentile(histogram, arrivals, 0.9),
          p99: percentile(histogram, arrivals, 0.99),
          max: percentile(histogram, arrivals, 1),
        },
        hubCpuPercent: Math.round(((after.cpuSeconds - before.cpuSeconds) / (wall || 1)) * 1000) / 10,
        hubRssMiB: Math.round(Math.max(...during.map((s) => s.rss)) / 2 ** 20),
        hubHeapMiB: Math.round(Math.max(...during.map((s) => s.heap)) / 2 ** 20),
        ...(convergedAt > 0 ? { convergedMs: Math.round(convergedAt - (performance.timeOrigin + start)) } : {}),
      };
      console.error(`${name}: ${JSON.stringify(result)}`);
      return result;
    };

    const steady = await phase(
      'steady',
      () => Promise.all(shares.map((s) => s.ask({ type: 'steady', ms: SECONDS * 1000, ratePerSecond: RATE }, 'steadyDone'))).then(() => {}),
      (writes) => writes * (CLIENTS - 1),
    );
    const finalSeq = 1e9 + BURST;
    const burst = await phase(
      'burst',
      () => Promise.all(shares.map((s) => s.ask({ type: 'burst', count: BURST, finalSeq }, 'burstDone'))).then(() => {}),
      (writes) => writes * (CLIENTS - 1),
    );
    const { disconnects } = await collect(shares);
    await Promise.all(shares.map((s) => s.ask({ type: 'close' }, 'closed')));
    await Promise.all(shares.map((s) => s.worker.terminate()));

    const summary = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
      },
      config: { clients: CLIENTS, seconds: SECONDS, ratePerClient: RATE, burst: BURST, workers: WORKERS, light: values.light === true },
      connectMs: Math.round(connectMs),
      steady,
      burst,
      clientDisconnects: disconnects,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const file = join(ROOT, 'bench/results', `load-${summary.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    if (values.json === true) console.log(JSON.stringify(summary, null, 2));
    else {
      const row = (name: string, p: PhaseResult): string =>
        `| ${name} | ${p.seconds} s | ${p.writes} | ${p.arrivals} / ${p.expectedArrivals} | ${p.latencyMs.p50} | ${p.latencyMs.p99} | ${p.latencyMs.max} | ${p.hubCpuPercent}% | ${p.hubRssMiB} MiB |${p.convergedMs === undefined ? '' : ` converged in ${p.convergedMs} ms`}`;
      console.log(
        `\n${CLIENTS} clients, ${summary.machine.cpus} × ${summary.machine.model}, ${process.version}; connected in ${summary.connectMs} ms`,
      );
      console.log('| phase | wall | writes | arrivals / expected | p50 ms | p99 ms | max ms | hub CPU | hub RSS |');
      console.log('|---|---|---|---|---|---|---|---|---|');
      console.log(row('steady', steady));
      console.log(row('burst', burst));
      console.log(`\nwritten to ${file}`);
    }
  } finally {
    clearInterval(sampler);
    hub.child.kill('SIGTERM');
    await once(hub.child, 'exit');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
