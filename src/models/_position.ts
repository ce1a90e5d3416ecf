/**
 * @module _position
 * Dense position keys: strings over r-array's alphabet (`!0-9A-Z_a-z~`, already in ASCII order),
 * compared with plain JavaScript string order, so a key can always be made between two others.
 * Used by `RArray`, `Text` and the `_sort` field of `Seq`.
 *
 * Theory of operation: a key is read as a base-65 fraction (`!` is digit 0, `~` digit 64). To
 * place n keys between `a` and `b`, both are truncated to p digits, giving integers A ≤ a and
 * B ≤ b; any p-digit integer strictly between A and B sorts strictly between a and b (it differs
 * from `a` at a digit where it is greater, and from `b` at one where it is smaller), and so does
 * that integer followed by any suffix. The smallest p with room is used, and keys are spread
 * evenly in the middle of a list but packed tightly at its ends, so n appends cost O(log n)
 * characters per key (r-array's midpoint halves the gap each time: its keys grow by a character
 * every ~6 appends). Each key then gets {@link SUFFIX_LENGTH} random characters (never `!`), so
 * two replicas inserting at the same place at once get different keys (r-array: 3 digits, a 1 in
 * 1000 chance of one insert overwriting the other), and no key ends with the lowest character.
 */

/** The alphabet of position keys, in sort order (r-array 0.5.3 / between 0.1). */
export const POSITION_ALPHABET = '!0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';

/** Longest position key accepted from a peer, in characters. r-array's own keys grow by ~1 character per 6 appends. */
export const MAX_POSITION_KEY_LENGTH = 16_384;

/** Random characters appended to every new key. */
export const SUFFIX_LENGTH = 4;

const BASE = POSITION_ALPHABET.length; // 65
const BIG_BASE = BigInt(BASE);
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE; i++) DIGIT[POSITION_ALPHABET.charCodeAt(i)] = i;

/**
 * Whether `key` is a valid position key: 1..{@link MAX_POSITION_KEY_LENGTH} characters of the
 * alphabet, not ending with `!` (nothing could then be placed just before it), not `__proto__`.
 */
export function isPositionKey(key: unknown): boolean {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_POSITION_KEY_LENGTH) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 128 || DIGIT[c] === -1) return false;
  }
  return key.charCodeAt(key.length - 1) !== 33 && key !== '__proto__';
}

/** The first `p` digits of `key` as an integer (missing digits are 0). */
function truncate(key: string, p: number): bigint {
  let n = 0n;
  for (let i = 0; i < p; i++) n = n * BIG_BASE + BigInt(i < key.length ? (DIGIT[key.charCodeAt(i)] as number) : 0);
  return n;
}

function digits(n: bigint, p: number): string {
  let out = '';
  for (let i = 0; i < p; i++) {
    out = POSITION_ALPHABET[Number(n % BIG_BASE)] + out;
    n /= BIG_BASE;
  }
  return out;
}

function randomSuffix(random: () => number): string {
  let out = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) out += POSITION_ALPHABET[1 + Math.floor(random() * (BASE - 1))];
  return out;
}

/**
 * Makes `count` new keys, in order, strictly between `before` and `after`.
 * @param before - the key just before, or `null` for the start of the list
 * @param after - the key just after, or `null` for the end
 * @param count - how many keys (>= 1)
 * @param minDigits - the least precision to use at the ends of the list (grow it with the list
 *   size so that appends keep room: `digitsFor(size)`)
 * @param random - a source of randomness in [0, 1) (default `Math.random`)
 * @returns `count` keys in ascending order
 * @throws RangeError when `before >= after`
 * @example
 * ```ts
 * const [k] = between(null, null, 1) // e.g. 'VV3kq'
 * between(k, null, 2) // two keys after k
 * ```
 */
export function between(
  before: string | null,
  after: string | null,
  count = 1,
  minDigits = 2,
  random: () => number = Math.random,
): string[] {
  if (before !== null && after !== null && !(before < after)) {
    throw new RangeError(`position keys out of order: "${before}" >= "${after}"`);
  }
  const n = BigInt(count);
  const out: string[] = [];
  // No key fits between "x" and "x!" (or "x!!"…); stop once p is past both keys and the count.
  const limit = Math.max(before?.length ?? 0, after?.length ?? 0) + String(count).length + minDigits + 2;
  for (let p = 1; ; p++) {
    if (p > limit) throw new RangeError(`no position key fits between "${before}" and "${after}"`);
    // A: the largest p-digit integer <= before (or -1 at the start); B: the same for after (or BASE^p at the end).
    const A = before === null ? -1n : truncate(before, p);
    const B = after === null ? BIG_BASE ** BigInt(p) : truncate(after, p);
    if (B - A - 1n < n) continue;
    const atEnd = after === null;
    const atStart = before === null;
    // At the ends of the list, wait for the wanted precision so that the next appends have room.
    if ((atEnd || atStart) && p < minDigits && !(atEnd && atStart)) continue;
    for (let i = 0n; i < n; i++) {
      let x: bigint;
      if (atEnd && !atStart) x = A + 1n + i;
      else if (atStart && !atEnd) x = B - n + i;
      else x = A + ((i + 1n) * (B - A)) / (n + 1n);
      out.push(digits(x, p) + randomSuffix(random));
    }
    return out;
  }
}

/** The precision to use at the ends of a list of `size` elements: room for ~65× as many appends. */
export function digitsFor(size: number): number {
  let p = 2;
  let room = BASE * BASE;
  while (room < size * BASE * 2) {
    room *= BASE;
    p++;
  }
  return p;
}

/** Whether every character of `s` is in the alphabet (a neighbour's `_sort` may end with `!`). */
export function isAlphabetString(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || DIGIT[c] === -1) return false;
  }
  return true;
}

/** Index of the first element of the sorted `keys` that is >= `key` (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
