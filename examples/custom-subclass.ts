/**
 * A custom Scuttlebutt, as the seed describes: implement `history(sources)` and
 * `applyUpdate(update)` (and, because remote input is untrusted, `validateChange`). This one is a
 * grow-only counter: each source's latest total, summed.
 * Run: node --import tsx examples/custom-subclass.ts
 */
import { once } from 'node:events';
import { type Clock, filter, Scuttlebutt, sort, type Update } from 'scuttlebutt-ts';

class Counter extends Scuttlebutt<number> {
  #latest = new Map<string, Update<number>>();

  increment(by = 1): this {
    const mine = this.#latest.get(this.id)?.[0] ?? 0;
    return this.localUpdate(mine + by);
  }

  get value(): number {
    let sum = 0;
    for (const update of this.#latest.values()) sum += update[0];
    return sum;
  }

  protected override validateChange(change: unknown): string | null {
    return Number.isSafeInteger(change) && (change as number) >= 0 ? null : 'a Counter change is a non-negative integer';
  }

  override applyUpdate(update: Update<number>): boolean {
    const current = this.#latest.get(update[2]);
    if (current && current[0] >= update[0]) return false;
    this.#latest.set(update[2], update);
    this.emit('update', this.value);
    return true;
  }

  override history(sources?: Clock | null): Update<number>[] {
    return sort([...this.#latest.values()].filter((update) => filter(update, sources)));
  }
}

const a = new Counter('a');
const b = new Counter('b');
a.increment().increment();
b.increment(5);
const s = a.createStream();
const t = b.createStream();
s.pipe(t).pipe(s);
await Promise.all([once(s, 'sync'), once(t, 'sync')]);
console.log('a:', a.value, 'b:', b.value);
if (a.value !== 7 || b.value !== 7) process.exit(1);
