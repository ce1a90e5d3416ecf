import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Events, isScuttlebuttError, Model } from '../../src/index.ts';
import { checkSchema, type InferOutput } from '../../src/models/_schema.ts';
import { asyncSchema, feed, link, schemaOf } from '../helpers/models.ts';

const isPoint = (v: unknown): v is { x: number; y: number } =>
  typeof v === 'object' && v !== null && typeof (v as { x: unknown }).x === 'number' && typeof (v as { y: unknown }).y === 'number';

describe('typed values (Standard Schema v1)', () => {
  it('Model infers its value type from the schema', () => {
    const schema = schemaOf(isPoint, 'expected a point');
    const m = new Model({ id: 'A', schema });
    m.set('p', { x: 1, y: 2 });
    const p = m.get('p');
    // A compile-time check: p is { x: number; y: number } | null | undefined.
    const x: number | undefined = p?.x;
    assert.equal(x, 1);
    const typed: InferOutput<typeof schema> = { x: 0, y: 0 };
    assert.equal(typed.x, 0);
  });

  it('a bad local value throws a typed error; a null (deletion) is always allowed', () => {
    const m = new Model({ id: 'A', schema: schemaOf(isPoint, 'expected a point') });
    assert.throws(
      () => m.set('p', { x: 'no' } as never),
      (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT' && /expected a point/.test(e.message),
    );
    m.set('p', null);
    assert.equal(m.get('p'), null);
  });

  it('a bad remote update is refused as invalid, never applied, and the stream stays open', async () => {
    const a = new Model({ id: 'A', schema: schemaOf(isPoint) });
    const invalid: Array<{ code?: string }> = [];
    a.on('invalid', (e) => invalid.push(e));
    const err = await feed(a, [
      [['p', 'not a point'], 5, 'X'],
      [['q', { x: 1, y: 1 }], 6, 'X'],
    ]);
    assert.equal(err, undefined);
    assert.equal(invalid.length, 1);
    assert.equal(invalid[0]?.code, 'ERR_SB_INVALID_UPDATE');
    assert.deepEqual(a.toJSON(), { q: { x: 1, y: 1 } });
  });

  it('a validating replica ignores what an unvalidating peer accepted, and keeps syncing', async () => {
    const loose = new Model('L');
    const strict = new Model({ id: 'S', schema: schemaOf(isPoint) });
    loose.set('bad', 42);
    loose.set('good', { x: 1, y: 2 });
    await link(loose, strict);
    assert.deepEqual(strict.toJSON(), { good: { x: 1, y: 2 } });
  });

  it('an asynchronous validator is refused with a clear message', () => {
    assert.match(checkSchema(asyncSchema(), 1) ?? '', /asynchronous/);
    const m = new Model({ id: 'A', schema: asyncSchema<number>() });
    assert.throws(() => m.set('k', 1), /asynchronous/);
  });

  it('Events checks the argument list of the events its schema names, typed and at the boundary', async () => {
    const isChat = (v: unknown): v is [string] => Array.isArray(v) && v.length === 1 && typeof v[0] === 'string';
    const a = new Events({ id: 'A', schema: { chat: schemaOf(isChat, 'chat takes one string') } });
    const heard: unknown[][] = [];
    a.on('chat', (...args: unknown[]) => heard.push(args));
    a.on('other', (...args: unknown[]) => heard.push(args));
    a.emit('chat', 'hi');
    assert.throws(
      // @ts-expect-error: the schema types the arguments of "chat"
      () => a.emit('chat', 42),
      (e: unknown) => isScuttlebuttError(e) && e.code === 'ERR_SB_INVALID_ARGUMENT' && /chat takes one string/.test(e.message),
    );
    a.emit('other', 1, 2); // not in the schema: unchecked
    const invalid: Array<{ code?: string }> = [];
    a.on('invalid', (e) => invalid.push(e));
    const err = await feed(a, [
      [['chat', { not: 'a string' }], 5, 'X'],
      [['chat', 'from X'], 6, 'X'],
    ]);
    assert.equal(err, undefined, 'the stream stays open');
    assert.deepEqual(
      invalid.map((e) => e.code),
      ['ERR_SB_INVALID_UPDATE'],
    );
    assert.deepEqual(heard, [['hi'], [1, 2], ['from X']]);
    assert.equal(a.size, 3, 'the refused event is not stored');
    assert.throws(() => new Events({ schema: { chat: {} as never } }), TypeError);
  });

  it('a remote update applied from a listener of a local write is still checked', () => {
    const m = new Model({ id: 'A', schema: schemaOf(isPoint) });
    let nested = true;
    m.on('change', () => {
      if (!nested) return;
      nested = false;
      m._update([['q', 'not a point'], 5, 'X']);
    });
    m.set('p', { x: 1, y: 2 });
    assert.deepEqual(m.toJSON(), { p: { x: 1, y: 2 } });
  });

  it('a schema option that is not a Standard Schema is a TypeError', () => {
    assert.throws(() => new Model({ schema: {} as never }), TypeError);
  });
});

describe('typed values: Value', () => {
  it('checks local and remote values', async () => {
    const { Value } = await import('../../src/index.ts');
    const v = new Value({ id: 'A', schema: schemaOf((x): x is number => typeof x === 'number', 'number') });
    v.set(1);
    assert.throws(
      () => v.set('x' as never),
      (e: unknown) => isScuttlebuttError(e),
    );
    const invalid: unknown[] = [];
    v.on('invalid', (e) => invalid.push(e));
    await feed(v, [['nope', Date.now() + 10, 'X']]);
    assert.equal(invalid.length, 1);
    assert.equal(v.get(), 1);
  });
});
