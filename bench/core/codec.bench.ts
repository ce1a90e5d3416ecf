/**
 * @module codec.bench
 * The codec alone. Encode: N updates to lines. Decode: the same lines, cut into 64 KiB chunks as a
 * socket delivers them, back to values with our {@link LineDecoder}. The original's codec is its
 * `stream-serializer` json wrapper (a dependency of scuttlebutt@5.6.15), driven directly.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { encodeLine, LineDecoder, limits } from '../../src/index.ts';
import { type BenchUpdate, expectCount, expectValue, makeUpdates } from '../lib/data.ts';
import type { Subject, Variant, Workload } from '../lib/harness.ts';

const requireFromOriginal = createRequire(createRequire(import.meta.url).resolve('scuttlebutt/package.json'));
const serializer = requireFromOriginal('stream-serializer') as { json(stream: EventEmitter): OriginalWire };

/** The original's serializer wrapped around a bare emitter: `emit('data', v)` encodes, `write(chunk)` decodes. */
interface OriginalWire extends EventEmitter {
  write(chunk: unknown): void;
}

/** A stream-serializer json wrapper whose encoded output and decoded input are collected. */
function originalWire(): { wire: OriginalWire; encoded: string[]; decoded: unknown[] } {
  const encoded: string[] = [];
  const decoded: unknown[] = [];
  const inner = new EventEmitter() as OriginalWire;
  inner.write = (value: unknown) => decoded.push(value);
  const wire = serializer.json(inner);
  wire.on('data', (line: string) => encoded.push(line));
  return { wire, encoded, decoded };
}

const CHUNK = 64 * 1024;

/** The updates as one byte buffer of lines, cut into `CHUNK`-byte pieces (lines split across). */
function chunksOf(updates: BenchUpdate[]): Buffer[] {
  const all = Buffer.from(updates.map((u) => encodeLine(u)).join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

function encodeVariant(name: 'ours' | 'original' | 'floor'): Variant {
  return {
    name,
    open(n: number): Subject {
      const updates = makeUpdates(n, 'A'.repeat(32));
      return {
        prepare() {
          let out: string[] = [];
          return {
            run() {
              if (name === 'ours') {
                const lines = new Array<string>(n);
                for (let k = 0; k < n; k++) lines[k] = encodeLine(updates[k]);
                out = lines;
              } else if (name === 'original') {
                const { wire, encoded } = originalWire();
                for (let k = 0; k < n; k++) wire.emit('data', updates[k]);
                out = encoded;
              } else {
                const lines = new Array<string>(n);
                for (let k = 0; k < n; k++) lines[k] = JSON.stringify(updates[k]);
                out = lines;
              }
              return undefined;
            },
            check() {
              expectCount(out.length, n, `${name} lines`);
              expectValue((JSON.parse(out[n - 1] as string) as BenchUpdate)[0][1], n - 1, `${name} last line`);
            },
          };
        },
      };
    },
  };
}

function decodeVariant(name: 'ours' | 'original' | 'floor'): Variant {
  return {
    name,
    open(n: number): Subject {
      const updates = makeUpdates(n, 'A'.repeat(32));
      const chunks = chunksOf(updates);
      const lines = updates.map((u) => JSON.stringify(u));
      return {
        prepare() {
          let values: unknown[] = [];
          return {
            run() {
              if (name === 'ours') {
                const decoder = new LineDecoder(limits.DEFAULT_MAX_MESSAGE_BYTES);
                // Keep the decoder's own arrays: copying them out would charge ours a second push.
                const batches: unknown[][] = [];
                for (const chunk of chunks) batches.push(decoder.push(chunk));
                values = batches;
              } else if (name === 'original') {
                const { wire, decoded } = originalWire();
                for (const chunk of chunks) wire.write(chunk);
                values = decoded;
              } else {
                const out = new Array<unknown>(n);
                for (let k = 0; k < n; k++) out[k] = JSON.parse(lines[k] as string);
                values = out;
              }
              return undefined;
            },
            check() {
              const all = name === 'ours' ? (values as unknown[][]).flat() : values;
              expectCount(all.length, n, `${name} values`);
              expectValue((all[n - 1] as BenchUpdate)[0][1], n - 1, `${name} last value`);
            },
          };
        },
      };
    },
  };
}

const sizes = { quick: [1_000, 10_000], standard: [10_000, 100_000], big: [1_000_000] };

export const codecEncode: Workload = {
  id: 'core/codec-encode',
  title: 'codec: encode N lines',
  unit: 'ms',
  sizeLabel: 'N',
  sizes,
  variants: [encodeVariant('ours'), encodeVariant('original'), encodeVariant('floor')],
};

export const codecDecode: Workload = {
  id: 'core/codec-decode',
  title: 'codec: decode N lines (64 KiB chunks)',
  unit: 'ms',
  sizeLabel: 'N',
  sizes,
  variants: [decodeVariant('ours'), decodeVariant('original'), decodeVariant('floor')],
};
