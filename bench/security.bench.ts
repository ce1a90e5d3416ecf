/**
 * @module security.bench
 * The cost of security (issue 5), standalone:
 *   node --import tsx bench/security.bench.ts [--quick]
 *
 * 1. Sign and verify throughput (updates/s) of a typical Model update `[[key, value], ts, source]`
 *    for each scheme: ed25519 (node:crypto, canonical encoding) and the original's RSA-SHA1 (2048
 *    and 1024 bits), plus the canonical encoding alone.
 * 2. A full sync of N keys (10 000; 2 000 with --quick) from a filled model to an empty one over a
 *    pair of in-process json streams: unsigned, ed25519-signed and RSA-signed, as the median of
 *    several runs, with the ratio to unsigned. Signing happens when the keys are written, so it is
 *    reported separately (fill); the sync pays verification and the larger lines.
 */
import { once } from 'node:events';
import { Model, type Update } from '../src/index.ts';
import { ed25519, encodeCanonical, generateKeyPair, rsa, type Security, securityFor } from '../src/security/index.ts';

const quick = process.argv.includes('--quick');
const KEYS = quick ? 2_000 : 10_000;
const RUNS = quick ? 3 : 5;
const MIN_MS = quick ? 200 : 1000;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Calls `fn` in batches until `MIN_MS` passed; returns calls per second. */
function throughput(fn: (i: number) => void): number {
  for (let i = 0; i < 50; i++) fn(i); // warm up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 50; i++) fn(calls++);
    elapsed = performance.now() - start;
  }
  return (calls / elapsed) * 1000;
}

const sample = (security: Security, i: number): Update => {
  const update: Update = [[`key-${i % 1000}`, { name: 'value', n: i, tags: ['a', 'b'] }], 1_700_000_000_000 + i, security.id];
  update.push(security.sign(update));
  return update;
};

function verifySync(security: Security, update: Update): boolean {
  let ok = false;
  security.verify(update, (_e, v) => {
    ok = v === true;
  });
  return ok;
}

interface Scheme {
  readonly name: string;
  readonly make: () => Security;
}

const rsa2048 = generateKeyPair({ scheme: 'rsa-sha1', bits: 2048 });
const rsa1024 = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
const rsaWith = (pair: typeof rsa2048) => () => rsa({ [pair.id]: pair.publicKeyPem }, pair.privateKeyPem, pair.publicKeyPem);
const schemes: Scheme[] = [
  { name: 'ed25519 (node:crypto)', make: () => ed25519() },
  { name: 'rsa-sha1 2048', make: rsaWith(rsa2048) },
  { name: 'rsa-sha1 1024', make: rsaWith(rsa1024) },
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`# security benchmarks (node ${process.version}, ${quick ? 'quick' : 'full'})\n`);
console.log('| scheme | sign (updates/s) | verify (updates/s) | signature chars |');
console.log('|---|---:|---:|---:|');
for (const scheme of schemes) {
  const security = scheme.make();
  const verifier = scheme.name.startsWith('rsa') ? security : ed25519();
  const updates = Array.from({ length: 1000 }, (_, i) => sample(security, i));
  const signRate = throughput((i) => {
    const u: Update = [[`key-${i % 1000}`, { name: 'value', n: i, tags: ['a', 'b'] }], 1_700_000_000_000 + i, security.id];
    security.sign(u);
  });
  const verifyRate = throughput((i) => {
    if (!verifySync(verifier, updates[i % 1000] as Update)) throw new Error('verification failed');
  });
  console.log(`| ${scheme.name} | ${fmt(signRate)} | ${fmt(verifyRate)} | ${String((updates[0] as Update)[3]).length} |`);
}
const plainUpdate = [['key-1', { name: 'value', n: 1, tags: ['a', 'b'] }], 1_700_000_000_000, 'x'];
console.log(`| (canonical encoding alone) | ${fmt(throughput(() => encodeCanonical(plainUpdate)))} | | |`);
console.log(`| (JSON.stringify alone) | ${fmt(throughput(() => JSON.stringify(plainUpdate)))} | | |`);

/** Fills a model with KEYS keys; returns it and the fill time. */
function fill(security: Security | null): { model: Model; ms: number } {
  const start = performance.now();
  const model = security === null ? new Model('SOURCE') : new Model(security);
  for (let i = 0; i < KEYS; i++) model.set(`key-${i}`, { name: 'value', n: i });
  return { model, ms: performance.now() - start };
}

/** Syncs a filled model to an empty one over json streams; returns ms until the receiver has every key. */
async function sync(source: Model, verifier: Security | null): Promise<number> {
  const target = verifier === null ? new Model('TARGET') : new Model({ verify: verifier.verify, id: 'TARGET' });
  const start = performance.now();
  const as = source.createStream();
  const bs = target.createStream();
  const done = once(bs, 'sync');
  as.pipe(bs).pipe(as);
  await done;
  const ms = performance.now() - start;
  if (target.keys().length !== KEYS) throw new Error(`synced ${target.keys().length} of ${KEYS} keys`);
  if (target.securityStats.unverified !== 0) throw new Error('updates failed verification');
  as.destroy();
  bs.destroy();
  return ms;
}

console.log(`\n## full sync of ${fmt(KEYS)} keys over in-process json streams (median of ${RUNS})\n`);
console.log('| variant | fill (ms) | sync (ms) | sync vs unsigned | bytes/update |');
console.log('|---|---:|---:|---:|---:|');
const variants: Array<{ name: string; security: () => Security | null }> = [
  { name: 'unsigned', security: () => null },
  { name: 'ed25519', security: () => ed25519() },
  { name: 'rsa-sha1 2048', security: () => securityFor(rsa2048) },
];
let unsignedSync = 0;
for (const variant of variants) {
  const fills: number[] = [];
  const syncs: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const security = variant.security();
    const { model, ms } = fill(security);
    fills.push(ms);
    syncs.push(await sync(model, security));
    bytes = model.history().reduce((sum, u) => sum + JSON.stringify(u).length + 1, 0) / KEYS;
  }
  const s = median(syncs);
  if (variant.name === 'unsigned') unsignedSync = s;
  console.log(
    `| ${variant.name} | ${median(fills).toFixed(1)} | ${s.toFixed(1)} | ${(s / unsignedSync).toFixed(2)}× | ${bytes.toFixed(0)} |`,
  );
}
