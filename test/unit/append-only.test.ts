import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultAppendOnly, { AppendOnly } from '../../src/entries/append-only.ts';
import { isScuttlebuttError } from '../../src/index.ts';
import { feed, flush, link, schemaOf } from '../helpers/models.ts';

describe('AppendOnly', () => {
  it('is the default export of scuttlebutt-ts/append-only', () => {
    assert.equal(DefaultAppendOnly, AppendOnly);
  });

  it('push and remove; items carry a non-enumerable __id; events item and remove', () => {
    const log = new AppendOnly<{ text: string }>('A');
    const seen: string[] = [];
    log.on('item', (i: { text: string }) => seen.push(`item ${i.text}`));
    log.on('remove', (i: { text: string }) => seen.push(`remove ${i.text}`));
    const one = log.push({ text: 'one' });
    log.push({ text: 'two' });
    assert.match(one, /^A:\d/);
    const [first] = log.toJSON();
    assert.equal((first as unknown as { __id: string }).__id, one);
    assert.equal(JSON.stringify(first), '{"text":"one"}');
    log.remove(first as { text: string });
    assert.deepEqual(log.createArray(), [{ text: 'two' }]);
    assert.deepEqual(seen, ['item one', 'item two', 'remove one']);
    assert.deepEqual(
      log.history().map((u) => u[0]),
      [{ push: { text: 'two' } }, { remove: one }],
    );
  });

  it('a replica that missed a remove learns it on reconnect (append-only lost it)', async () => {
    const a = new AppendOnly<string>('A');
    const b = new AppendOnly<string>('B');
    const id = a.push('x');
    a.push('y');
    let close = await link(a, b);
    await close();
    a.remove(id);
    close = await link(a, b);
    assert.deepEqual(b.toJSON(), ['y']);
    await close();
  });

  it('a push that arrives after its remove is not shown', () => {
    const a = new AppendOnly('A');
    a.receiveUpdate([{ remove: 'Z:5' }, 6, 'Y']);
    a.receiveUpdate([{ push: 'late' }, 5, 'Z']);
    assert.deepEqual(a.toJSON(), []);
    assert.ok(a.wasRemoved('Z:5'));
  });

  it('orders items by (ts, source) on every replica', async () => {
    const a = new AppendOnly<string>('A');
    const b = new AppendOnly<string>('B');
    a.push('a1');
    b.push('b1');
    a.push('a2');
    await link(a, b);
    await flush();
    assert.deepEqual(a.toJSON(), b.toJSON());
    assert.equal(a.size, 3);
  });

  it('remove of an unknown item: a typed error locally; a malformed or impossible remote remove is refused, model unchanged', async () => {
    const a = new AppendOnly('A');
    a.push('x');
    assert.throws(
      () => a.remove('A:1'),
      (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT',
    );
    assert.ok(isScuttlebuttError(await feed(a, [[{ remove: 'no-colon' }, 5, 'X']])));
    assert.ok(isScuttlebuttError(await feed(a, [[{ push: 1, remove: 'A:1' }, 5, 'X']])));
    const invalid: Error[] = [];
    a.on('invalid', (e: Error) => invalid.push(e));
    assert.equal(await feed(a, [[{ remove: 'Q:50' }, 10, 'X']]), undefined);
    assert.equal(invalid.length, 1);
    assert.deepEqual(a.toJSON(), ['x']);
  });

  it('schema: refuses bad items locally and remotely', async () => {
    const a = new AppendOnly({ id: 'A', schema: schemaOf((v): v is number => typeof v === 'number', 'number') });
    assert.throws(
      () => a.push('x' as unknown as number),
      (e: unknown) => isScuttlebuttError(e),
    );
    const invalid: Error[] = [];
    a.on('invalid', (e: Error) => invalid.push(e));
    await feed(a, [
      [{ push: 'bad' }, 5, 'X'],
      [{ push: 1 }, 6, 'X'],
    ]);
    assert.equal(invalid.length, 1);
    assert.deepEqual(a.toJSON(), [1]);
  });

  it('memory: a removed item keeps only its id, until collectTombstones', () => {
    const a = new AppendOnly({ id: 'A', tombstoneTtlMs: 60_000 });
    const ids = Array.from({ length: 10 }, (_, i) => a.push({ big: 'x'.repeat(100), i }));
    for (const id of ids.slice(0, 9)) a.remove(id);
    assert.equal(a.size, 1);
    assert.equal(a.tombstoneCount, 9);
    assert.equal(a.collectTombstones(Number.POSITIVE_INFINITY), 9);
    assert.equal(a.history().length, 1);
  });
});
