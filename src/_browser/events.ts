/**
 * @module _browser/events
 * The part of Node's `EventEmitter` our models use, for the browser bundle, so that it needs no
 * Node polyfill. The browser build aliases `node:events` to this file; Node uses the real one.
 * Like Node's, emitting `error` with no listener throws.
 */

type Listener = (...args: never[]) => unknown;

export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(name: string | symbol, listener: Listener): this {
    this.emit('newListener', name, listener);
    const list = this.#listeners.get(name);
    if (list) list.push(listener);
    else this.#listeners.set(name, [listener]);
    return this;
  }

  addListener(name: string | symbol, listener: Listener): this {
    return this.on(name, listener);
  }

  prependListener(name: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(name);
    if (list) list.unshift(listener);
    else this.#listeners.set(name, [listener]);
    return this;
  }

  once(name: string | symbol, listener: Listener): this {
    const wrapper = (...args: never[]): unknown => {
      this.off(name, wrapper);
      return listener(...args);
    };
    (wrapper as { listener?: Listener }).listener = listener;
    return this.on(name, wrapper);
  }

  off(name: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(name);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(name);
    return this;
  }

  removeListener(name: string | symbol, listener: Listener): this {
    return this.off(name, listener);
  }

  removeAllListeners(name?: string | symbol): this {
    if (name === undefined) this.#listeners.clear();
    else this.#listeners.delete(name);
    return this;
  }

  emit(name: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(name);
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${String(args[0])})`);
      return false;
    }
    for (const listener of [...list]) (listener as (...a: unknown[]) => unknown).apply(this, args);
    return true;
  }

  listenerCount(name: string | symbol): number {
    return this.#listeners.get(name)?.length ?? 0;
  }

  listeners(name: string | symbol): Listener[] {
    return [...(this.#listeners.get(name) ?? [])];
  }

  setMaxListeners(_n: number): this {
    return this;
  }
}
