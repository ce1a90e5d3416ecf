import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultDoc, { Doc, Row, Set as RowSet, Seq } from '../../src/entries/doc.ts';
import { isScuttlebuttError } from '../../src/index.ts';
import { feed, flush, link, schemaOf } from '../helpers/models.ts';

describe('Doc', () => {
  it('is the default export of scuttlebutt-ts/doc, with Row, Set and Seq beside it', () => {
    assert.equal(DefaultDoc, Doc);
    const doc = new Doc('A');
    assert.ok(doc.add({ id: 'r' }) instanceof Row);
    assert.ok(doc.createSet('t', 1) instanceof RowSet);
    assert.ok(doc.createSeq('t', 1) instanceof Seq);
  });

  describe('rows', () => {
    it('add, set, get, rm, toJSON as crdt: the id is part of the state', () => {
      const doc = new Doc('A');
      const row = doc.add({ id: 'r1', name: 'ada' });
      row.set('age', 36);
      doc.set('r2', { name: 'bob' });
      assert.deepEqual(doc.toJSON(), { r1: { id: 'r1', name: 'ada', age: 36 }, r2: { id: 'r2', name: 'bob' } });
      assert.equal(doc.get('r1').get('name'), 'ada');
      assert.deepEqual(row.toJSON(), { id: 'r1', name: 'ada', age: 36 });
      doc.rm('r2');
      assert.deepEqual(Object.keys(doc.toJSON()), ['r1']);
      assert.equal(doc.size, 1);
      assert.equal(doc.tombstoneCount, 1);
    });

    it('makes an id when add() gets none; the id cannot change', () => {
      const doc = new Doc('A');
      const row = doc.add({ name: 'x' } as Record<string, unknown>);
      assert.equal(typeof row.id, 'string');
      assert.throws(
        () => row.set({ id: 'other' }),
        (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT',
      );
    });

    it('one update per set, with only the fields that changed: [rowId, partial]', () => {
      const doc = new Doc('A');
      const updates: unknown[] = [];
      doc.on('_update', (u: unknown[]) => updates.push(u[0]));
      doc.add({ id: 'r', a: 1, b: 2 });
      doc.get('r').set({ b: 3 });
      doc.rm('r');
      assert.deepEqual(updates, [
        ['r', { id: 'r', a: 1, b: 2 }],
        ['r', { b: 3 }],
        ['r', null],
      ]);
    });

    it('row events: change, changes, update, removed; doc events add, remove, row_update', () => {
      const doc = new Doc('A');
      const seen: string[] = [];
      doc.on('add', (r: Row) => seen.push(`add ${r.id}`));
      doc.on('remove', (r: Row) => seen.push(`remove ${r.id}`));
      doc.on('row_update', (r: Row) => seen.push(`row_update ${r.id}`));
      const row = doc.get('r');
      row.on('change', (c) => seen.push(`change ${JSON.stringify(c)}`));
      row.on('removed', () => seen.push('removed'));
      row.set('a', 1);
      doc.rm('r');
      assert.deepEqual(seen, ['add r', 'change {"a":1}', 'row_update r', 'removed', 'remove r']);
    });
  });

  describe('replication', () => {
    it('history and live edits both ways', async () => {
      const a = new Doc('A');
      const b = new Doc('B');
      a.add({ id: 'r1', v: 1 });
      b.add({ id: 'r2', v: 2 });
      const close = await link(a, b);
      a.get('r2').set('v', 20);
      b.rm('r1');
      await flush();
      assert.deepEqual(a.toJSON(), { r2: { id: 'r2', v: 20 } });
      assert.deepEqual(b.toJSON(), a.toJSON());
      await close();
    });

    it('last write wins per field: concurrent edits of different fields merge', async () => {
      const a = new Doc('A');
      const b = new Doc('B');
      a.add({ id: 'r', x: 0, y: 0 });
      let close = await link(a, b);
      await close();
      a.get('r').set('x', 1);
      b.get('r').set('y', 2);
      close = await link(a, b);
      assert.deepEqual(a.toJSON(), { r: { id: 'r', x: 1, y: 2 } });
      assert.deepEqual(b.toJSON(), a.toJSON());
      await close();
    });

    it('a row deleted while a peer was away is deleted there after reconnecting (crdt #40)', async () => {
      const a = new Doc('A');
      const b = new Doc('B');
      a.add({ id: 'r1', v: 1 });
      a.add({ id: 'r2', v: 2 });
      let close = await link(a, b);
      await close();
      a.rm('r1');
      close = await link(a, b);
      assert.deepEqual(b.toJSON(), { r2: { id: 'r2', v: 2 } });
      const c = new Doc('C');
      await link(a, c);
      assert.deepEqual(c.toJSON(), { r2: { id: 'r2', v: 2 } });
      assert.ok(a.history().some((u) => JSON.stringify(u[0]) === '["r1",null]'));
      await close();
    });

    it('a deletion wins over older fields whatever the order of arrival; newer fields revive the row', () => {
      const a = new Doc('A');
      a.receiveUpdate([['r', null], 10, 'Z']);
      a.receiveUpdate([['r', { v: 'older' }], 5, 'Y']);
      assert.deepEqual(a.toJSON(), {});
      a.receiveUpdate([['r', { w: 'newer' }], 15, 'Y']);
      assert.deepEqual(a.toJSON(), { r: { id: 'r', w: 'newer' } });
    });
  });

  describe('Set and Seq', () => {
    it('a Set follows the rows whose field has a value, and events fire', () => {
      const doc = new Doc('A');
      const cheeses = doc.createSet('type', 'cheese');
      assert.equal(doc.createSet('type', 'cheese'), cheeses);
      const events: string[] = [];
      cheeses.on('add', (r: Row) => events.push(`add ${r.id}`));
      cheeses.on('remove', (r: Row) => events.push(`remove ${r.id}`));
      doc.add({ id: 'brie', type: 'cheese' });
      doc.add({ id: 'apple', type: 'fruit' });
      doc.add({ id: 'feta', type: 'cheese' });
      assert.deepEqual(
        cheeses.toJSON().map((r) => r.id),
        ['brie', 'feta'],
      );
      cheeses.remove('brie');
      doc.rm('feta');
      assert.equal(cheeses.size, 0);
      assert.deepEqual(events, ['add brie', 'add feta', 'remove brie', 'remove feta']);
      const filtered = doc.createSet((s) => s.type === 'fruit');
      assert.ok(filtered.has('apple'));
      assert.throws(
        () => filtered.remove('apple'),
        (e: unknown) => isScuttlebuttError(e),
      );
    });

    it('a Seq orders by _sort: push, unshift, insert, before, after, first, last, at, pop, shift', () => {
      const doc = new Doc('A');
      const seq = doc.createSeq('list', 'todo');
      seq.push({ id: 'b' });
      seq.push({ id: 'd' });
      seq.unshift({ id: 'a' });
      seq.after({ id: 'c' }, 'b');
      seq.before({ id: 'a0' }, 'b');
      assert.deepEqual(
        seq.toJSON().map((r) => r.id),
        ['a', 'a0', 'b', 'c', 'd'],
      );
      assert.equal(seq.first()?.id, 'a');
      assert.equal(seq.last()?.id, 'd');
      assert.equal(seq.at(2)?.id, 'b');
      assert.equal(seq.indexOf('c'), 3);
      assert.equal(seq.length(), 5);
      assert.equal(seq.next('b')?.id, 'c');
      assert.equal(seq.prev('b')?.id, 'a0');
      const moved: string[] = [];
      seq.on('move', (r: Row) => moved.push(r.id));
      seq.push('a');
      assert.deepEqual(moved, ['a']);
      assert.equal(seq.last()?.id, 'a');
      assert.equal(seq.pop()?.id, 'a');
      assert.equal(seq.shift()?.id, 'a0');
      assert.deepEqual(
        seq.toJSON().map((r) => r.id),
        ['b', 'c', 'd'],
      );
    });

    it('Seq order replicates', async () => {
      const a = new Doc('A');
      const b = new Doc('B');
      const sa = a.createSeq('list', 'x');
      for (const id of ['1', '2', '3']) sa.push({ id });
      sa.unshift({ id: '0' });
      await link(a, b);
      assert.deepEqual(
        b
          .createSeq('list', 'x')
          .toJSON()
          .map((r) => r.id),
        ['0', '1', '2', '3'],
      );
    });
  });

  describe('bad input', () => {
    it('refuses a row id of the wrong type, "__proto__", and an id change; the model is unchanged', async () => {
      const doc = new Doc('A');
      doc.add({ id: 'r', v: 1 });
      const before = JSON.stringify(doc.toJSON());
      for (const line of [
        [[5, { v: 2 }], 5, 'X'],
        [[null, { v: 2 }], 5, 'X'],
        [['__proto__', { v: 2 }], 5, 'X'],
        [['r', { id: 'q' }], 5, 'X'],
        [['r', [1, 2]], 5, 'X'],
        [['r'], 5, 'X'],
      ]) {
        const err = await feed(doc, [line]);
        assert.ok(isScuttlebuttError(err), JSON.stringify(line));
      }
      assert.equal(JSON.stringify(doc.toJSON()), before);
    });

    it("tolerates crdt's [null, ts, source] history lines: reported as invalid, the stream stays open", async () => {
      const doc = new Doc('A');
      const invalid: Error[] = [];
      doc.on('invalid', (e: Error) => invalid.push(e));
      const err = await feed(doc, [
        [null, 5, 'X'],
        [['r', { v: 1 }], 6, 'X'],
      ]);
      assert.equal(err, undefined);
      assert.equal(invalid.length, 1);
      assert.deepEqual(doc.toJSON(), { r: { id: 'r', v: 1 } });
    });
  });

  describe('schema', () => {
    it('checks partial rows; a bad remote row is refused as invalid and not applied', async () => {
      const partialPerson = (v: unknown): v is { name?: string } =>
        typeof v === 'object' && v !== null && (!('name' in v) || typeof (v as { name: unknown }).name === 'string');
      const doc = new Doc<{ name: string }>({ id: 'A', schema: schemaOf(partialPerson, 'name must be a string') });
      doc.add({ id: 'r', name: 'ada' });
      assert.throws(
        () => doc.set('r', { name: 5 as unknown as string }),
        (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT',
      );
      const invalid: Error[] = [];
      doc.on('invalid', (e: Error) => invalid.push(e));
      await feed(doc, [[['r', { name: 7 }], Date.now() + 1000, 'X']]);
      assert.equal(invalid.length, 1);
      assert.equal(doc.get('r').get('name'), 'ada');
    });
  });

  describe('memory', () => {
    it('a deleted row keeps only its id and stamp, until collectTombstones', () => {
      const doc = new Doc({ id: 'A', tombstoneTtlMs: 60_000 });
      for (let i = 0; i < 10; i++) doc.add({ id: `r${i}`, v: i, w: 'x'.repeat(10) });
      for (let i = 0; i < 9; i++) doc.rm(`r${i}`);
      assert.equal(doc.history().length, 10);
      assert.equal(doc.collectTombstones(Number.POSITIVE_INFINITY), 9);
      assert.equal(doc.history().length, 1);
      assert.equal(doc.tombstoneCount, 0);
      assert.deepEqual(Object.keys(doc.toJSON()), ['r9']);
    });
  });
});
