/**
 * @module canonical
 * The canonical encoding that ed25519 signatures cover (docs/security.md § "Canonical encoding").
 *
 * It is JSON as `JSON.stringify` writes it (no whitespace; numbers in ECMAScript's shortest
 * round-trip form; strings escaped as ES2019's well-formed `JSON.stringify` does; `toJSON`,
 * `undefined`, functions and non-finite numbers handled as `JSON.stringify` handles them), with
 * one change: **the members of every object are sorted by key, comparing UTF-16 code units**
 * (the order of RFC 8785 JCS). So it depends only on the JSON value, not on the key order a
 * sender happened to build or a receiver's parser happened to keep. The original signed plain
 * `JSON.stringify`, which only works while every hop keeps key order byte for byte (integer-like
 * keys, for one, are reordered by every JavaScript engine).
 */

/**
 * Encodes a value canonically.
 * @param value - any value `JSON.stringify` accepts
 * @returns the canonical JSON text (`undefined` at the top level gives `'null'`)
 * @throws TypeError for a cycle or a BigInt (as `JSON.stringify` does)
 * @example
 * ```ts
 * encodeCanonical([{ b: 1, a: [2, 'x'] }, 1700000000000.001, 'S']) // '[{"a":[2,"x"],"b":1},1700000000000.001,"S"]'
 * ```
 */
export function encodeCanonical(value: unknown): string {
  return write(value, '', new Set()) ?? 'null';
}

function write(input: unknown, key: string, stack: Set<object>): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonical encoding: BigInt cannot be serialised');
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols
  }
  if (value === null) return 'null';
  const object = value as object;
  if (stack.has(object)) throw new TypeError('canonical encoding: circular structure');
  stack.add(object);
  let out: string;
  if (Array.isArray(object)) {
    const items: string[] = [];
    for (let i = 0; i < object.length; i++) items.push(write(object[i], String(i), stack) ?? 'null');
    out = `[${items.join(',')}]`;
  } else {
    const members: string[] = [];
    const record = object as Record<string, unknown>;
    for (const name of Object.keys(record).sort()) {
      const encoded = write(record[name], name, stack);
      if (encoded !== undefined) members.push(`${JSON.stringify(name)}:${encoded}`);
    }
    out = `{${members.join(',')}}`;
  }
  stack.delete(object);
  return out;
}
