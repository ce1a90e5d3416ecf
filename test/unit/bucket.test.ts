import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultBucket, { Bucket } from '../../src/entries/bucket.ts';
import { Doc } from '../../src/entries/doc.ts';
import { Events, isScuttlebuttError, Model } from '../../src/index.ts';
import { feed, flush, link } from '../helpers/models.ts';

const make = (id: string) => new Bucket(id).add('meta', new Model()).add('chat', new Events()).add('rows', new Doc());

describe('Bucket', () => {
  it('is the default export of scuttlebutt-ts/bucket', () => {
    assert.equal(DefaultBucket, Bucket);
  });

  it('wraps part changes as [name, change]; parts take the bucket id; toJSON per part', () => {
    const a = make('A');
    a.get('meta').set('title', 'doc');
    a.get('chat').emit('msg', 'hi');
    assert.equal(a.get('meta').id, 'A');
    const h = a.history();
    assert.deepEqual(
      h.map((u) => u[0]),
      [
        ['meta', ['title', 'doc']],
        ['chat', ['msg', 'hi']],
      ],
    );
    assert.deepEqual(a.toJSON(), { meta: { title: 'doc' }, chat: undefined, rows: {} });
  });

  it("records its parts' local writes in its clock (scuttlebucket's header clock stayed {})", () => {
    const a = make('A');
    a.get('meta').set('k', 1);
    assert.equal(typeof a.sources.A, 'number');
    assert.equal(a.sources.A, a.get('meta').sources.A);
  });

  it('two parts writing in the same millisecond get distinct timestamps', () => {
    const a = make('A');
    a.get('meta').set('k', 1);
    a.get('chat').emit('e');
    a.get('meta').set('k', 2);
    const ts = a.history().map((u) => u[1]);
    assert.equal(new Set(ts).size, ts.length);
  });

  it('replicates history and live edits both ways; each update crosses the link once', async () => {
    const a = make('A');
    const b = make('B');
    a.get('meta').set('title', 'doc');
    const { as, bs } = await (async () => {
      const as = a.createStream();
      const bs = b.createStream();
      as.pipe(bs).pipe(as);
      await flush(6);
      return { as, bs };
    })();
    const lines: string[] = [];
    as.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    bs.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
    a.get('chat').emit('msg', 'hello');
    b.get('rows').add({ id: 'r', v: 1 });
    b.get('meta').set('title', 'DOC');
    await flush();
    assert.deepEqual(a.toJSON(), b.toJSON());
    assert.deepEqual(b.get('meta').toJSON(), { title: 'DOC' });
    assert.equal(lines.length, 3);
  });

  it('announces a part added at run time, with what it already holds', async () => {
    const a = make('A');
    const b = make('B');
    await link(a, b);
    const pre = new Model();
    pre.set('before', 1);
    a.add('late', pre);
    (a.get('late') as Model).set('after', 2);
    await flush();
    assert.equal(b.pendingCount, 2);
    const writesBefore = b.history().length;
    b.add('late', new Model());
    assert.equal(b.pendingCount, 0);
    assert.equal(b.history().length, writesBefore + 2, 'the pending updates, not re-issued copies');
    assert.equal(b.history().filter((u) => u[2] === 'B').length, 0);
    assert.deepEqual((b.get('late') as Model).toJSON(), { before: 1, after: 2 });
    const c = new Bucket('C').add('late', new Model());
    await link(a, c);
    assert.deepEqual((c.get('late') as Model).toJSON(), { before: 1, after: 2 });
  });

  it('refuses an update for an unknown part as invalid (stream open, model unchanged), and a malformed or invalid inner change with a typed error', async () => {
    const a = make('A');
    const invalid: Error[] = [];
    a.on('invalid', (e: Error) => invalid.push(e));
    assert.equal(await feed(a, [[['nope', ['k', 1]], 5, 'X']]), undefined);
    assert.equal(invalid.length, 1);
    assert.equal(a.sources.X, undefined);
    assert.ok(isScuttlebuttError(await feed(a, [[['meta', 'k'], 6, 'Y']])));
    assert.ok(isScuttlebuttError(await feed(a, [[['rows', [5, {}]], 7, 'Y']])));
    assert.ok(isScuttlebuttError(await feed(a, [['meta', 8, 'Y']])));
    assert.deepEqual(a.toJSON(), { meta: {}, chat: undefined, rows: {} });
  });

  it('bounds the updates kept for parts not added yet', () => {
    const a = new Bucket({ id: 'A', maxPendingUpdates: 3 });
    for (let i = 1; i <= 5; i++) a.receiveUpdate([['x', ['k', i]], i, 'Z']);
    assert.equal(a.pendingCount, 3);
    a.add('x', new Model());
    assert.equal((a.get('x') as Model).get('k'), 5);
  });

  it('refuses a duplicate part name', () => {
    const a = make('A');
    assert.throws(() => a.add('meta', new Model()), RangeError);
  });
});
