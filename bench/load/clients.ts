/**
 * @module bench/load/clients
 * A share of the load harness's WebSocket clients, run in a worker thread (or in the main thread
 * with one worker's share). Each client is a `Model` linked to the hub, owns the key `c<index>`
 * and writes `{ t, seq }` to it: `t` is the wall time of the write in ms (`performance.timeOrigin +
 * performance.now()`, the same clock in every thread of the process). Every `change` of another
 * client's key is an arrival: its latency goes to a histogram with 0.1 ms buckets.
 *
 * Messages from the main thread: `{ type: 'connect' }`, `{ type: 'steady', ms, ratePerSecond }`,
 * `{ type: 'burst', count }`, `{ type: 'report' }`, `{ type: 'close' }`. Replies: `connected`,
 * `steadyDone`, `burstDone`, `report` (histogram and counters), `closed`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { Model } from '../../src/index.ts';
import { connectWebSocket, type ReconnectingPeer } from '../../src/net/index.ts';

/** Histogram buckets: 0.1 ms each, up to 30 s (later arrivals land in the last one). */
export const BUCKET_MS = 0.1;
export const BUCKETS = 300_000;

/** What a share reports for a phase. */
export interface ShareReport {
  readonly histogram: Uint32Array;
  readonly arrivals: number;
  readonly writes: number;
  /** For the burst: the last moment a client saw the last missing final value (wall ms). */
  readonly convergedAt: number;
  readonly disconnects: number;
}

export interface ShareOptions {
  readonly url: string;
  readonly first: number;
  readonly count: number;
  readonly total: number;
  /**
   * Light clients: a raw `ws` socket that speaks the protocol by hand (header, `"SYNC"`, update
   * lines) and only parses what arrives, instead of a full `Model` replica. On a small machine
   * this keeps the clients' own CPU from dominating the latencies, to isolate the hub.
   */
  readonly light?: boolean;
}

/** A light client: what the share needs to write with it. */
interface LightClient {
  readonly ws: WebSocket;
  readonly id: string;
  lastTs: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/** The clients of one share and their measurements. */
export class ClientShare {
  readonly #options: ShareOptions;
  readonly #models: Model[] = [];
  readonly #peers: ReconnectingPeer[] = [];
  readonly #light: LightClient[] = [];
  #histogram = new Uint32Array(BUCKETS);
  #arrivals = 0;
  #writes = 0;
  #disconnects = 0;
  #seq = 0;
  /** During a burst: the final seq each key must reach, and how many (client, key) pairs still lack it. */
  #target = -1;
  #missing = 0;
  #convergedAt = 0;

  constructor(options: ShareOptions) {
    this.#options = options;
  }

  /** Records one arrival of another client's value. */
  #arrive(value: { t?: number; seq?: number } | null): void {
    if (value === null || typeof value !== 'object' || typeof value.t !== 'number') return;
    const latency = now() - value.t;
    this.#arrivals++;
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency / BUCKET_MS)));
    this.#histogram[bucket] = (this.#histogram[bucket] as number) + 1;
    if (this.#target >= 0 && value.seq === this.#target) {
      this.#missing--;
      if (this.#missing === 0) this.#convergedAt = now();
    }
  }

  async #connectLight(): Promise<void> {
    const { first, count, url } = this.#options;
    const opened: Promise<void>[] = [];
    for (let i = first; i < first + count; i++) {
      const id = `client-${i}`;
      const own = `c${i}`;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const client: LightClient = { ws, id, lastTs: 0 };
      ws.on('message', (data: Buffer) => {
        for (const line of data.toString('utf8').split('\n')) {
          if (line.charCodeAt(0) !== 91) continue; // '[': an update; skip the header, "SYNC", keep-alives
          const update = JSON.parse(line) as [[string, { t?: number; seq?: number } | null], number, string];
          if (update[0][0] !== own) this.#arrive(update[0][1]);
        }
      });
      ws.on('close', () => this.#disconnects++);
      ws.on('error', () => {});
      opened.push(
        new Promise((resolve) =>
          ws.once('open', () => {
            ws.send(`${JSON.stringify({ id, clock: {} })}\n"SYNC"\n`);
            resolve();
          }),
        ),
      );
      this.#light.push(client);
      if ((i - first) % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(opened);
  }

  #writeLight(client: LightClient, index: number, seq: number): void {
    // Timestamps strictly increasing per source, as the protocol requires.
    const ts = Math.max(Date.now(), client.lastTs + 0.001);
    client.lastTs = ts;
    client.ws.send(`${JSON.stringify([[`c${this.#options.first + index}`, { t: now(), seq }], ts, client.id])}\n`);
  }

  async connect(): Promise<void> {
    if (this.#options.light === true) return this.#connectLight();
    const { first, count, url } = this.#options;
    for (let i = first; i < first + count; i++) {
      const model = new Model(`client-${i}`);
      const own = `c${i}`;
      model.on('change', (key: string, value: { t?: number; seq?: number } | null) => {
        if (key !== own) this.#arrive(value);
      });
      const peer = connectWebSocket(model, { url, initialDelayMs: 100 });
      peer.on('disconnect', () => this.#disconnects++);
      this.#models.push(model);
      this.#peers.push(peer);
      // Stagger the handshakes a little: a real fleet does not connect in one tick.
      if ((i - first) % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(this.#peers.map((p) => p.whenLive()));
  }

  #write(index: number, model: Model): void {
    this.#writes++;
    model.set(`c${this.#options.first + index}`, { t: now(), seq: this.#seq });
  }

  /** Each client writes `ratePerSecond` times a second for `ms`, with spread-out phases. */
  async steady(ms: number, ratePerSecond: number): Promise<void> {
    const period = 1000 / ratePerSecond;
    const timers: NodeJS.Timeout[] = [];
    const starts: NodeJS.Timeout[] = [];
    const count = this.#options.light === true ? this.#light.length : this.#models.length;
    const write = (index: number): void => {
      this.#seq++;
      const light = this.#light[index];
      if (light !== undefined) {
        this.#writes++;
        this.#writeLight(light, index, this.#seq);
      } else this.#write(index, this.#models[index] as Model);
    };
    for (let index = 0; index < count; index++) {
      starts.push(
        setTimeout(() => {
          write(index);
          timers.push(setInterval(() => write(index), period));
        }, Math.random() * period),
      );
    }
    await new Promise((r) => setTimeout(r, ms));
    for (const t of starts) clearTimeout(t);
    for (const t of timers) clearInterval(t);
  }

  /**
   * Every client writes `count` updates in the same tick; resolves once every client of this
   * share holds every client's last one (`seq` = the burst's last).
   */
  async burst(count: number, finalSeq: number): Promise<void> {
    this.#target = finalSeq;
    this.#missing = this.#options.count * (this.#options.total - 1);
    this.#convergedAt = 0;
    for (let k = 0; k < count; k++) {
      const seq = finalSeq - count + 1 + k;
      this.#models.forEach((model, index) => {
        this.#writes++;
        model.set(`c${this.#options.first + index}`, { t: now(), seq });
      });
      this.#light.forEach((client, index) => {
        this.#writes++;
        this.#writeLight(client, index, seq);
      });
    }
    const deadline = Date.now() + 60_000;
    while (this.#missing > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  /** The measurements since the last report; resets them. */
  report(): ShareReport {
    const report: ShareReport = {
      histogram: this.#histogram,
      arrivals: this.#arrivals,
      writes: this.#writes,
      convergedAt: this.#convergedAt,
      disconnects: this.#disconnects,
    };
    this.#histogram = new Uint32Array(BUCKETS);
    this.#arrivals = 0;
    this.#writes = 0;
    return report;
  }

  async close(): Promise<void> {
    await Promise.all(this.#peers.map((p) => p.close()));
    for (const client of this.#light) client.ws.close(1000);
  }
}

// Worker mode: drive a share from messages.
if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'url' in workerData) {
  const port = parentPort;
  const share = new ClientShare(workerData as ShareOptions);
  port.on('message', async (message: { type: string; ms?: number; ratePerSecond?: number; count?: number; finalSeq?: number }) => {
    switch (message.type) {
      case 'connect':
        await share.connect();
        port.postMessage({ type: 'connected' });
        break;
      case 'steady':
        await share.steady(message.ms ?? 0, message.ratePerSecond ?? 1);
        port.postMessage({ type: 'steadyDone' });
        break;
      case 'burst':
        await share.burst(message.count ?? 1, message.finalSeq ?? 0);
        port.postMessage({ type: 'burstDone' });
        break;
      case 'report': {
        const report = share.report();
        port.postMessage({ type: 'report', report }, [report.histogram.buffer as ArrayBuffer]);
        break;
      }
      case 'close':
        await share.close();
        port.postMessage({ type: 'closed' });
        break;
    }
  });
}
