import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Durability } from '../../src/persist/index.ts';
import { bundleWriter, createRandom, runTrial, seedOf, TRIALS, verifyStores } from '../helpers/persist-crash.ts';
import { tempDir } from '../helpers/persist-fs.ts';

const SEED = seedOf(0x5eed_0001);
const MODES: readonly Durability[] = ['fsync', 'batch', 'none'];

describe('persist() under kill -9', () => {
  it(`every update whose flush() resolved survives ${TRIALS} kills at random moments, in every durability mode (seed ${SEED})`, {
    timeout: 60_000 + TRIALS * 2_000,
  }, async (t) => {
    const script = await bundleWriter(t);
    let dir = tempDir(t);
    const random = createRandom(SEED);
    let acked = 0;
    let totalAcked = 0;
    let progressed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      // A fresh store every 40 trials keeps the files (and each check) small in long runs.
      if (trial > 0 && trial % 40 === 0) {
        dir = tempDir(t);
        acked = 0;
      }
      const durability = MODES[trial % MODES.length] as Durability;
      // One trial in six dies before its store is ready: during the load, the repair of a torn
      // tail, or the first snapshot.
      const early = random() < 1 / 6;
      const delay = early ? random() * 100 : random() * 150;
      const context = `trial ${trial} (${durability}, killed ${early ? 'after spawn' : 'after ready'} +${delay.toFixed(1)} ms; SB_SEED=${SEED})`;
      const result = await runTrial(script, { dir, durability, seed: SEED + trial, workload: 'append' }, delay, early);
      if (result.startedAt !== null) {
        assert.ok(result.startedAt >= acked, `${context}: restarted at ${result.startedAt} < ${acked} acknowledged`);
        progressed++;
      }
      totalAcked += Math.max(0, result.acked - acked);
      acked = Math.max(acked, result.acked);
      await verifyStores(dir, 'append', acked, context);
    }
    assert.ok(totalAcked > 0 && progressed > TRIALS / 2, `the trials did real work: acked ${totalAcked}, ${progressed} writers got ready`);
    t.diagnostic(`${totalAcked} acknowledged updates checked after ${TRIALS} kills`);
  });
});
