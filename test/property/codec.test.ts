/**
 * Codec round trips (issue 3): any JSON value, as a Model value, survives `encodeLine` and
 * `LineDecoder` under any chunking of the bytes (lines and UTF-8 characters split anywhere), and
 * survives replication between two models over streams fed in random pieces.
 *
 * Replay a failure: SB_SEED=<seed> SB_PATH=<path> node --import tsx --test test/property/codec.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeLine, LineDecoder, Model, type Update } from '../../src/index.ts';
import { SimNetwork, seededRandom, topologyEdges } from '../helpers/sim-network.ts';
import { fcParams } from '../helpers/sim-scenario.ts';

/** Every code point, lone surrogates included (JSON.stringify escapes those). */
const anyString = fc.string({ unit: 'binary', maxLength: 12 });
const anyJson = fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 });
const keyArb = anyString.filter((key) => key !== '__proto__');
const sourceArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((s) => s !== '__proto__');
const updateArb: fc.Arbitrary<Update> = fc
  .tuple(keyArb, anyJson, fc.double({ min: 1, max: 1e13, noNaN: true }), sourceArb)
  .map(([key, value, ts, source]) => [[key, value], ts, source]);

/** What a value looks like after one trip through JSON (`-0` becomes `0`, and so on). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Cuts `bytes` at the given offsets (taken modulo its length). */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

describe('codec (property)', () => {
  it('encodeLine → LineDecoder returns the same updates under any chunking', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 24 }), (updates, offsets) => {
        const bytes = new TextEncoder().encode(updates.map((u) => encodeLine(u)).join(''));
        const decoder = new LineDecoder(1 << 20);
        const out: unknown[] = [];
        for (const chunk of cut(bytes, offsets)) out.push(...decoder.push(chunk));
        out.push(...decoder.end());
        assert.deepEqual(out, updates.map(viaJson));
        assert.equal(decoder.pendingBytes, 0);
      }),
      fcParams(300),
    );
  });

  it('a chunk that ends inside a character or a line leaves the rest pending, never decoded early', () => {
    fc.assert(
      fc.property(updateArb, fc.nat(), (update, at) => {
        const bytes = new TextEncoder().encode(encodeLine(update));
        const split = at % bytes.length; // strictly before the final newline
        const decoder = new LineDecoder(1 << 20);
        assert.deepEqual(decoder.push(bytes.subarray(0, split)), []);
        assert.equal(decoder.pendingBytes, split);
        assert.deepEqual(decoder.push(bytes.subarray(split)), [viaJson(update)]);
      }),
      fcParams(300),
    );
  });

  it('any JSON value set on one Model arrives intact on another, over streams fed in random pieces', async () => {
    const arb = fc.record({
      writes: fc.array(fc.tuple(keyArb, anyJson), { minLength: 1, maxLength: 6 }),
      seed: fc.integer(),
      chunk: fc.integer({ min: 1, max: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ writes, seed, chunk }) => {
        let t = 1_000_000;
        const now = () => t;
        const a = new Model({ id: 'A', now });
        const b = new Model({ id: 'B', now });
        const net = new SimNetwork([a, b], topologyEdges('line', 2));
        try {
          const expected = new Map<string, unknown>();
          for (const [key, value] of writes) {
            a.set(key, value);
            t += 1;
            expected.set(key, value === null ? null : viaJson(value));
          }
          await net.drain(seededRandom(seed), chunk);
          net.assertClean();
          for (const [key, value] of expected) assert.deepEqual(b.get(key), value, `key ${JSON.stringify(key)}`);
          assert.equal(JSON.stringify(b.history()), JSON.stringify(a.history()));
        } finally {
          net.close();
        }
      }),
      fcParams(60),
    );
  });
});
