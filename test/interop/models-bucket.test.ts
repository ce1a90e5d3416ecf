/**
 * Interop: our `Bucket` with scuttlebucket 0.2.3 over real TCP on 127.0.0.1, ours as the server
 * and as the client, each holding a Model and an Events part: history and live edits both ways
 * converge; and scuttlebucket's three sends per update (its clock never records its parts' local
 * writes), shown on the original and absent here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bucket } from '../../src/entries/bucket.ts';
import { Events, Model } from '../../src/index.ts';
import { linkOverTcp, OriginalBucket, OriginalEvents, OriginalModel, plain } from '../helpers/interop-models.ts';
import { EventLog, scope, waitFor } from '../helpers/interop-net.ts';
import { flush } from '../helpers/models.ts';

const ours = (id: string) => new Bucket(id).add('meta', new Model()).add('chat', new Events());
const original = (id: string) => new OriginalBucket(id).add('meta', new OriginalModel()).add('chat', new OriginalEvents());

for (const role of ['server', 'client'] as const) {
  describe(`Bucket over TCP with scuttlebucket 0.2.3 (ours as ${role})`, () => {
    it('replicates history and live edits both ways to equal toJSON(); events fire once per replica', async (t) => {
      const s = scope(t);
      const a = ours('OURS');
      const b = original('ORIG');
      const invalid = new EventLog(a, ['invalid']);
      const heardByUs: unknown[] = [];
      const heardByThem: unknown[] = [];
      a.get('chat').on('msg', (m) => heardByUs.push(m));
      b.get('chat').on('msg', (m: unknown) => heardByThem.push(m));
      a.get('meta').set('title', 'doc');
      a.get('chat').emit('msg', 'from ours, before');
      b.get('meta').set('author', 'ada');
      (b.get('chat') as unknown as { emit(e: string, m: string): void }).emit('msg', 'from the original, before');
      const link = await linkOverTcp(s, role, a, b);
      await waitFor(() => (a.get('meta') as Model).get('author') === 'ada' && b.get('meta').get('title') === 'doc', 'history both ways');
      (a.get('meta') as Model).set('title', 'DOC');
      b.get('meta').set('n', 1);
      (a.get('chat') as Events).emit('msg', 'from ours, live');
      await waitFor(
        () => b.get('meta').get('title') === 'DOC' && (a.get('meta') as Model).get('n') === 1 && heardByThem.length === 3,
        'live both ways',
      );
      await flush();
      assert.deepEqual(plain(a.toJSON()), plain(b.toJSON()));
      assert.deepEqual(plain(a.toJSON()), { meta: { title: 'DOC', author: 'ada', n: 1 } });
      assert.deepEqual(heardByUs, ['from ours, before', 'from the original, before', 'from ours, live']);
      assert.equal(invalid.count('invalid'), 0);
      const mine = link.ours.written.updates().filter((u) => u[2] === 'OURS');
      assert.equal(mine.length, 4, 'each of our four updates sent once');
      assert.equal(link.ours.written.updates().filter((u) => u[2] === 'ORIG').length, 0, 'nothing of theirs sent back');
    });
  });
}

describe("scuttlebucket's bug: its clock never records its parts' local writes", () => {
  /** Counts how many times the update of `a.get('meta').set('k', 'v')` crosses the a↔b link. */
  async function sends(
    a: { createStream(): unknown; get(n: string): { set(k: string, v: unknown): unknown } },
    b: { createStream(): unknown },
  ) {
    const as = a.createStream() as NodeJS.ReadWriteStream;
    const bs = b.createStream() as NodeJS.ReadWriteStream;
    let count = 0;
    const tap = (chunk: unknown) => {
      count += String(chunk)
        .split('\n')
        .filter((line) => line.includes('"marker"')).length;
    };
    as.on('data', tap);
    bs.on('data', tap);
    as.pipe(bs).pipe(as);
    await new Promise((resolve) => setTimeout(resolve, 20));
    a.get('meta').set('marker', 'v');
    await new Promise((resolve) => setTimeout(resolve, 20));
    return count;
  }

  it('fails on the original: one update crosses the link three times', async () => {
    const a = original('A');
    assert.deepEqual(plain(a.sources), {});
    a.get('meta').set('x', 1);
    assert.deepEqual(plain(a.sources), {}, "the bucket's clock ignores the part's write");
    assert.equal(await sends(original('A2'), original('B2')), 3);
  });

  it('passes on ours: once', async () => {
    const a = ours('A');
    (a.get('meta') as Model).set('x', 1);
    assert.equal(typeof a.sources.A, 'number');
    assert.equal(await sends(ours('A2') as never, ours('B2')), 1);
  });
});
