/**
 * @module _assert
 * Option asserters: TypeError for a wrong type, RangeError for a wrong range, in noble's style:
 * `"maxMessageBytes" expected integer >= 1, got -3`.
 */

function fail(kind: 'type' | 'range', message: string): never {
  const err = kind === 'type' ? new TypeError(message) : new RangeError(message);
  (err as Error & { code: string }).code = 'ERR_SB_INVALID_ARGUMENT';
  throw err;
}

/** A positive integer, or `Infinity` to disable a limit. */
export function assertLimit(name: string, value: unknown): number {
  if (typeof value !== 'number') fail('type', `"${name}" expected number, got ${typeof value}`);
  if (value !== Number.POSITIVE_INFINITY && (!Number.isInteger(value) || value < 1)) {
    fail('range', `"${name}" expected integer >= 1 or Infinity, got ${value}`);
  }
  return value;
}

/** A non-negative finite number or Infinity. */
export function assertDuration(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail('type', `"${name}" expected number, got ${typeof value}`);
  if (value < 0) fail('range', `"${name}" expected number >= 0, got ${value}`);
  return value;
}

/** A boolean. */
export function assertBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail('type', `"${name}" expected boolean, got ${typeof value}`);
  return value;
}

/** A non-empty string that is not a forbidden property name. */
export function assertId(name: string, value: unknown): string {
  if (typeof value !== 'string') fail('type', `"${name}" expected string, got ${value === null ? 'null' : typeof value}`);
  if (value.length === 0) fail('range', `"${name}" expected a non-empty string`);
  if (value === '__proto__') fail('range', `"${name}" must not be "__proto__"`);
  return value;
}

/** A function. */
export function assertFunction(name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== 'function') fail('type', `"${name}" expected function, got ${typeof value}`);
  return value as (...args: never[]) => unknown;
}
