import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Durability } from '../../src/persist/index.ts';
import { tempPathOf } from '../../src/persist/index.ts';
import { bundleWriter, createRandom, runTrial, seedOf, TRIALS, verifyStores } from '../helpers/persist-crash.ts';
import { tempDir } from '../helpers/persist-fs.ts';

const SEED = seedOf(0x5eed_0002);
const MODES: readonly Durability[] = ['fsync', 'none', 'batch'];

describe('persist() compaction under kill -9', () => {
  it(`a compaction killed at any point leaves a loadable store with every flushed update (${TRIALS} kills, seed ${SEED})`, {
    timeout: 60_000 + TRIALS * 2_000,
  }, async (t) => {
    const script = await bundleWriter(t);
    const dir = tempDir(t);
    const random = createRandom(SEED);
    let acked = 0;
    let leftTemp = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const durability = MODES[trial % MODES.length] as Durability;
      const delay = random() * 200;
      const context = `trial ${trial} (${durability}, killed +${delay.toFixed(1)} ms after ready; SB_SEED=${SEED})`;
      const result = await runTrial(script, { dir, durability, seed: SEED + trial, workload: 'compact' }, delay, false);
      acked = Math.max(acked, result.acked);
      if (existsSync(tempPathOf(join(dir, 'model.sb')))) leftTemp++;
      await verifyStores(dir, 'compact', acked, context);
      assert.equal(existsSync(tempPathOf(join(dir, 'model.sb'))), false, `${context}: the next open removes the temporary file`);
    }
    assert.ok(acked > 0, 'the trials did real work');
    t.diagnostic(`${leftTemp} of ${TRIALS} kills landed inside a compaction (a temporary file was left behind)`);
  });
});
