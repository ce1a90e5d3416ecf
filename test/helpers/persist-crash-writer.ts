/**
 * @module test/helpers/persist-crash-writer
 * The writer process of the crash tests, killed with SIGKILL at a random moment. It opens a Model
 * store (and in `append` mode an Events store), continues the sequence where the stored model
 * left it, and writes updates in random bursts. After each `flush()` of every store resolves it
 * writes `ack <i>` to stdout (synchronously): every update up to `i` must survive the kill.
 *
 * Workloads (argv[2] is a JSON config `{dir, durability, seed, workload}`):
 * - `append`: `k<i> = i` (never overwritten), `h<i mod 16> = i`, `n = i`, event `e(i)`;
 *   compaction by factor with small thresholds, so kills also land in automatic compactions.
 * - `compact`: `k<i mod 500> = i` with a 200-byte payload, `n = i`, and an explicit `compact()`
 *   after most bursts: most of the time is spent inside compactions.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { Events, Model } from '../../src/index.ts';
import { type Durability, persist } from '../../src/persist/index.ts';

interface Config {
  readonly dir: string;
  readonly durability: Durability;
  readonly seed: number;
  readonly workload: 'append' | 'compact';
}

const config = JSON.parse(process.argv[2] as string) as Config;
let state = config.seed >>> 0;
const random = (): number => {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const compactMode = config.workload === 'compact';
const model = new Model('W');
const modelStore = persist(model, join(config.dir, 'model.sb'), {
  durability: config.durability,
  batchIntervalMs: 5,
  compactFactor: compactMode ? 1.5 : 2,
  compactMinBytes: compactMode ? 16 * 1024 : 64 * 1024,
});
const events = compactMode ? null : new Events('W');
let lastEvent = 0;
events?.on('e', (j: number) => {
  lastEvent = Math.max(lastEvent, j);
});
const eventStore =
  events === null ? null : persist(events, join(config.dir, 'events.sb'), { durability: config.durability, batchIntervalMs: 5 });
await Promise.all([modelStore.ready, eventStore?.ready]);
// The two files are independent: a kill can leave either one ahead. Resume after what both hold.
let i = Number(model.get('n') ?? 0);
if (events !== null) i = Math.min(i, lastEvent);
say(`ready ${i}`);
const payload = 'p'.repeat(200);

for (;;) {
  const burst = 1 + Math.floor(random() * 40);
  for (let b = 0; b < burst; b++) {
    i++;
    if (compactMode) {
      model.set(`k${i % 500}`, { i, payload });
    } else {
      model.set(`k${i}`, i);
      model.set(`h${i % 16}`, i);
      events?.emit('e', i);
    }
    model.set('n', i);
  }
  const r = random();
  if (compactMode && r < 0.7) {
    await modelStore.compact();
  }
  if (r < 0.5) {
    await Promise.all([modelStore.flush(), eventStore?.flush()]);
    say(`ack ${i}`);
  } else {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
