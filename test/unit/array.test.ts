import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultRArray, { RArray, Text } from '../../src/entries/array.ts';
import { isScuttlebuttError } from '../../src/index.ts';
import { between, isPositionKey, POSITION_ALPHABET } from '../../src/models/_position.ts';
import { feed, flush, link, schemaOf } from '../helpers/models.ts';

const isString = (v: unknown): v is string => typeof v === 'string';

describe('position keys (_position)', () => {
  it('makes keys strictly between their neighbours, in order, over the alphabet', () => {
    const cases: Array<[string | null, string | null]> = [
      [null, null],
      ['V', null],
      [null, 'V'],
      ['V', 'W'],
      ['V5', 'V6'],
      ['A', 'A0'],
      ['~~~', null],
      [null, '!!0'],
    ];
    for (const [lo, hi] of cases) {
      const keys = between(lo, hi, 5);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        assert.ok(isPositionKey(k), k);
        if (lo !== null) assert.ok(k > lo, `${k} > ${lo}`);
        if (hi !== null) assert.ok(k < hi, `${k} < ${hi}`);
        if (i > 0) assert.ok(k > (keys[i - 1] as string));
      }
    }
  });

  it('refuses out-of-order neighbours and impossible gaps with a RangeError', () => {
    assert.throws(() => between('B', 'A'), RangeError);
    assert.throws(() => between('A', 'A!'), RangeError);
  });

  it('keeps keys short for many appends (r-array grows one character per ~6 appends)', () => {
    const a = new RArray('A');
    for (let i = 0; i < 20_000; i++) a.push(i);
    assert.ok((a.last() as string).length <= 10, a.last());
    assert.ok((a.first() as string).length <= 10);
  });

  it('uses r-array alphabet in sort order', () => {
    assert.equal(POSITION_ALPHABET, POSITION_ALPHABET.split('').sort().join(''));
  });
});

describe('RArray', () => {
  it('is the default export of scuttlebutt-ts/array', () => {
    assert.equal(DefaultRArray, RArray);
  });

  describe('the r-array API', () => {
    it('push, unshift, pop, shift, insert, set, unset, get, indexOf, length', () => {
      const a = new RArray<string>('A');
      a.push('b');
      a.push('c');
      a.unshift('a');
      assert.deepEqual(a.toJSON(), ['a', 'b', 'c']);
      assert.equal(a.length, 3);
      const k = a.insert(a.first(), 'a2', a.keyAt(1));
      assert.deepEqual(a.toJSON(), ['a', 'a2', 'b', 'c']);
      assert.equal(a.get(k), 'a2');
      assert.equal(a.indexOfKey(k), 1);
      assert.equal(a.indexOf('b'), 2);
      assert.equal(a.indexOf('zz'), -1);
      a.set(k, 'A2');
      assert.equal(a.at(1), 'A2');
      a.unset(k);
      assert.equal(a.get(k), undefined);
      assert.equal(a.pop(), 'c');
      assert.equal(a.shift(), 'a');
      assert.deepEqual(a.toJSON(), ['b']);
      assert.deepEqual(
        a.map((v) => v.toUpperCase()),
        ['B'],
      );
      assert.equal(
        a.reduce((acc, v) => acc + v, ''),
        'b',
      );
      assert.deepEqual(
        a.filter(() => false),
        [],
      );
    });

    it('splice removes, replaces and inserts as ONE update, keeping replaced keys', () => {
      const a = new RArray<number>('A');
      for (const n of [1, 2, 3, 4]) a.push(n);
      const keys = a.keys();
      let updates = 0;
      a.on('_update', () => updates++);
      const removed = a.splice(1, 2, 20, 30, 35);
      assert.deepEqual(removed, [2, 3]);
      assert.deepEqual(a.toJSON(), [1, 20, 30, 35, 4]);
      assert.equal(updates, 1);
      assert.equal(a.keyAt(1), keys[1]);
      assert.equal(a.keyAt(2), keys[2]);
      a.splice(0, 10);
      assert.deepEqual(a.toJSON(), []);
    });

    it('emits preupdate and update with the winning {key: value}', () => {
      const a = new RArray<string>('A');
      const seen: unknown[] = [];
      a.on('preupdate', (c) => seen.push(['pre', { ...c }]));
      a.on('update', (c) => seen.push(['post', { ...c }]));
      const k = a.push('x');
      assert.deepEqual(seen, [
        ['pre', { [k]: 'x' }],
        ['post', { [k]: 'x' }],
      ]);
    });

    it('refuses keys outside the alphabet locally with a RangeError', () => {
      const a = new RArray('A');
      assert.throws(() => a.set('a b', 1), RangeError);
      assert.throws(() => a.set('x!', 1), RangeError);
      assert.throws(() => a.insert('B', 1, 'A'), RangeError);
    });
  });

  describe('wire', () => {
    it('sends {positionKey: value|null}; history has one line per update, with only the keys it still wins', () => {
      const a = new RArray<string>('A');
      a.splice(0, 0, 'x', 'y', 'z');
      const [kx] = a.keys();
      a.set(kx as string, 'X');
      const h = a.history();
      assert.equal(h.length, 2);
      const first = h[0]?.[0] as Record<string, unknown>;
      assert.equal(Object.keys(first).length, 2);
      assert.ok(!((kx as string) in first));
      assert.deepEqual(h[1]?.[0], { [kx as string]: 'X' });
      for (const update of h) for (const key of Object.keys(update[0])) assert.ok(isPositionKey(key));
    });

    it('replicates history and live edits, deletions included', async () => {
      const a = new RArray<string>('A');
      const b = new RArray<string>('B');
      a.push('1');
      a.push('2');
      a.pop();
      const close = await link(a, b);
      assert.deepEqual(b.toJSON(), ['1']);
      b.push('3');
      a.unshift('0');
      await flush();
      assert.deepEqual(a.toJSON(), ['0', '1', '3']);
      assert.deepEqual(b.toJSON(), a.toJSON());
      await close();
    });

    it('a deletion made while a peer was away reaches it on reconnect', async () => {
      const a = new RArray<string>('A');
      const b = new RArray<string>('B');
      a.push('keep');
      a.push('gone');
      let close = await link(a, b);
      await close();
      a.pop();
      close = await link(a, b);
      assert.deepEqual(b.toJSON(), ['keep']);
      await close();
    });

    it('concurrent inserts at the same place both survive', async () => {
      const a = new RArray<string>('A');
      const b = new RArray<string>('B');
      a.push('start');
      let close = await link(a, b);
      await close();
      a.push('fromA');
      b.push('fromB');
      close = await link(a, b);
      assert.equal(a.length, 3);
      assert.deepEqual(a.toJSON(), b.toJSON());
      await close();
    });
  });

  describe('bad input', () => {
    it('refuses a key outside the alphabet with a typed error; the model is unchanged', async () => {
      const a = new RArray('A');
      a.push('x');
      const before = a.toJSON();
      const invalid: unknown[] = [];
      a.on('invalid', (e) => invalid.push(e));
      const err = await feed(a, [[{ 'bad key': 1 }, 5, 'X']]);
      assert.ok(isScuttlebuttError(err));
      assert.equal((err as { code?: string }).code, 'ERR_SB_INVALID_UPDATE');
      assert.equal(invalid.length, 1);
      assert.deepEqual(a.toJSON(), before);
      assert.equal(a.sources.X, undefined);
    });

    it('refuses a non-object change and "__proto__" keys', async () => {
      const a = new RArray('A');
      assert.ok(isScuttlebuttError(await feed(a, [[['k', 1], 5, 'X']])));
      assert.ok(isScuttlebuttError(await feed(a, [[JSON.parse('{"__proto__":1}'), 6, 'X']])));
      assert.deepEqual(a.toJSON(), []);
    });
  });

  describe('schema', () => {
    it('types values; refuses a bad local value with a typed error and a bad remote one as invalid', async () => {
      const a = new RArray({ id: 'A', schema: schemaOf(isString, 'expected string') });
      assert.throws(
        () => a.push(5 as unknown as string),
        (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT',
      );
      const invalid: Error[] = [];
      a.on('invalid', (e: Error) => invalid.push(e));
      const err = await feed(a, [
        [{ VV: 5 }, 5, 'X'],
        [{ VW: 'ok' }, 6, 'X'],
      ]);
      assert.equal(err, undefined);
      assert.equal(invalid.length, 1);
      assert.match(invalid[0]?.message ?? '', /expected string/);
      assert.deepEqual(a.toJSON(), ['ok']);
    });
  });

  describe('memory', () => {
    it('keeps tombstones until collectTombstones, then only live elements', () => {
      const a = new RArray({ id: 'A', tombstoneTtlMs: 60_000 });
      for (let i = 0; i < 100; i++) a.push(i);
      for (let i = 0; i < 90; i++) a.pop();
      assert.equal(a.tombstoneCount, 90);
      assert.equal(a.history().length, 100);
      assert.equal(a.collectTombstones(Number.POSITIVE_INFINITY), 90);
      assert.equal(a.tombstoneCount, 0);
      assert.equal(a.history().length, 10);
      assert.equal(a.length, 10);
    });
  });

  describe('fixed r-array bugs', () => {
    it('an edit made on one array while another applies an update is replicated (r-array: module-global DOEMIT)', async () => {
      const a = new RArray<string>('A');
      const b = new RArray<string>('B');
      const c = new RArray<string>('C');
      a.once('preupdate', () => b.push('made-in-listener'));
      a.receiveUpdate([{ VV: 'remote' }, 1, 'Z']);
      const close = await link(b, c);
      assert.deepEqual(c.toJSON(), ['made-in-listener']);
      await close();
    });

    it('an update that changes nothing is not relayed', () => {
      const a = new RArray('A');
      a.receiveUpdate([{ VV: 'new' }, 10, 'Z']);
      let relayed = 0;
      a.on('_update', () => relayed++);
      a.receiveUpdate([{ VV: 'old' }, 5, 'Y']);
      assert.equal(relayed, 0);
      assert.deepEqual(a.toJSON(), ['new']);
    });
  });
});

describe('Text', () => {
  it('inserts and deletes at offsets, one update per edit', () => {
    const t = new Text('T');
    let updates = 0;
    t.on('_update', () => updates++);
    t.insertText(0, 'hello world');
    t.deleteText(5, 6);
    t.insertText(5, ', you');
    t.replaceText(0, 1, 'J');
    assert.equal(t.text(), 'Jello, you');
    assert.equal(updates, 4);
    t.setText('Jelly, you!');
    assert.equal(t.text(), 'Jelly, you!');
    assert.equal(updates, 5);
    assert.throws(() => t.insertText(99, 'x'), RangeError);
  });

  it('keeps r-string names: insertString, insertChar, remove', () => {
    const t = new Text('T');
    t.insertString(0, 'ac');
    t.insertChar(1, 'b');
    t.remove(0, 1);
    assert.equal(String(t), 'bc');
  });

  it('merges concurrent edits at different places and at the same place', async () => {
    const a = new Text('A');
    const b = new Text('B');
    a.insertText(0, 'the cat');
    let close = await link(a, b);
    await close();
    a.insertText(4, 'black ');
    b.insertText(7, ' sat');
    b.insertText(0, '>');
    close = await link(a, b);
    assert.equal(a.text(), '>the black cat sat');
    assert.equal(b.text(), a.text());
    await close();
  });

  it('refuses non-string elements from a peer', async () => {
    const t = new Text('T');
    assert.ok(isScuttlebuttError(await feed(t, [[{ VV: 5 }, 5, 'X']])));
    assert.equal(t.text(), '');
  });

  it('binds a textarea: input becomes one update, remote edits keep the caret', async () => {
    const a = new Text('A');
    const b = new Text('B');
    const close = await link(a, b);
    const listeners = new Set<() => void>();
    const el = {
      value: '',
      selectionStart: 0 as number | null,
      selectionEnd: 0 as number | null,
      addEventListener: (_: 'input', fn: () => void) => listeners.add(fn),
      removeEventListener: (_: 'input', fn: () => void) => listeners.delete(fn),
      setSelectionRange(s: number, e: number) {
        this.selectionStart = s;
        this.selectionEnd = e;
      },
    };
    const unbind = a.bindTextarea(el);
    el.value = 'world';
    el.selectionStart = el.selectionEnd = 5;
    for (const fn of listeners) fn();
    await flush();
    assert.equal(b.text(), 'world');
    b.insertText(0, 'hello ');
    await flush();
    assert.equal(el.value, 'hello world');
    assert.equal(el.selectionStart, 11);
    unbind();
    assert.equal(listeners.size, 0);
    await close();
  });
});
