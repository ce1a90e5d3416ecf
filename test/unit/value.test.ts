import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import DefaultValue from '../../src/entries/value.ts';
import { Value } from '../../src/index.ts';
import { connect, until } from '../helpers/streams.ts';

describe('Value', () => {
  it('is the default export of scuttlebutt-ts/value', () => {
    assert.equal(DefaultValue, Value);
  });

  it('holds one value; its change on the wire is the raw value', () => {
    const v = new Value('V');
    assert.equal(v.get(), null);
    v.set({ title: 'x' });
    assert.deepEqual(v.get(), { title: 'x' });
    const [update] = v.history();
    assert.deepEqual(update?.[0], { title: 'x' });
    assert.equal(update?.[2], 'V');
  });

  it('converges on the newest value, ties broken by source', () => {
    const a = new Value('A');
    const b = new Value('B');
    a._update(['x', 10, 'A']);
    a._update(['y', 10, 'B']);
    b._update(['y', 10, 'B']);
    b._update(['x', 10, 'A']);
    assert.equal(a.get(), 'y');
    assert.equal(b.get(), 'y');
  });

  it('emits update only when the value changes', () => {
    const v = new Value('V');
    const seen: unknown[] = [];
    v.on('update', (x) => seen.push(x));
    v._update(['new', 20, 'X']);
    v._update(['stale', 10, 'Y']);
    assert.deepEqual(seen, ['new']);
  });

  it('replicates', async () => {
    const a = new Value('A');
    const b = new Value('B');
    a.set(1);
    await connect(a, b);
    assert.equal(b.get(), 1);
    b.set(2);
    await until(() => a.get() === 2, 1000, 'value');
  });
});
