/**
 * @module access-policy
 * Per-peer write rights (issue 5, item 3), as a pure function of the update, the peer's proven
 * id and whether signatures are verified. The rules, in order (docs/security.md § "Rights"):
 *
 * 1. **The peer.** With `writers: 'anyone'` every peer may write. Otherwise an anonymous peer
 *    (one that did not prove an id) is read-only, and with a list (or predicate) of writers only
 *    a peer in it may write at all.
 * 2. **The author** (`update[2]`). Without signature verification a source is only a claim, so a
 *    peer may write only as itself: an update whose source is not the peer's id is refused. With
 *    verification (the model has `verify`) a writer may relay other authors' updates, whose
 *    signatures the model then checks, but only authors that are themselves writers.
 * 3. **The key.** With `writePrefixes`, the key of the change (`change[0]` for Model and Events)
 *    must start with one of the author's prefixes.
 *
 * Rights apply to what a peer *sends us*; reading is open to every peer that may connect.
 */
import type { Update } from '../protocol/update.js';

/** Who may write. */
export type Writers = 'anyone' | 'authenticated' | Iterable<string> | ((id: string) => boolean);

/** Options of {@link createAccessPolicy}. */
export interface AccessPolicyOptions {
  /** Who may write (default `'authenticated'`: any peer that proved its id). */
  readonly writers?: Writers;
  /**
   * Where each author may write: prefixes for every author, or per author (`null`/`undefined`
   * from the function means no restriction, `[]` means nowhere).
   */
  readonly writePrefixes?: readonly string[] | ((author: string) => readonly string[] | null | undefined);
  /** The key of a change for the prefix rule (default: `change[0]` when it is a string). */
  readonly keyOf?: (change: unknown) => string | undefined;
}

/** Decides one update: `null` to accept it, or why it is refused. */
export type AccessPolicy = (update: Update, peer: string | null, signed: boolean) => string | null;

/** The default key of a change: the first element of an array change when it is a string (Model `[key, value]`, Events `[name, ...args]`). */
export function defaultKeyOf(change: unknown): string | undefined {
  return Array.isArray(change) && typeof change[0] === 'string' ? change[0] : undefined;
}

/**
 * Builds the access policy a stream applies to every update it receives.
 * @param options - writers, prefixes, key extraction
 * @returns the decision function
 * @throws TypeError for a bad option
 * @example
 * ```ts
 * const policy = createAccessPolicy({ writers: [alice.id, bob.id], writePrefixes: (id) => [`users/${id}/`] })
 * policy([['users/x/name', 'X'], ts, bob.id, sig], bob.id, true) // 'key "users/x/name" is outside …'
 * ```
 */
export function createAccessPolicy(options: AccessPolicyOptions = {}): AccessPolicy {
  const writers = options.writers ?? 'authenticated';
  let isWriter: (id: string) => boolean;
  if (writers === 'anyone' || writers === 'authenticated') isWriter = () => true;
  else if (typeof writers === 'function') isWriter = writers;
  else if (typeof writers === 'object' && writers !== null && Symbol.iterator in writers) {
    const set = new Set<string>(writers);
    isWriter = (id) => set.has(id);
  } else throw new TypeError(`"writers" expected 'anyone', 'authenticated', an iterable of ids or a function, got ${typeof writers}`);
  const prefixes = options.writePrefixes;
  if (prefixes !== undefined && typeof prefixes !== 'function' && !Array.isArray(prefixes)) {
    throw new TypeError(`"writePrefixes" expected an array or a function, got ${typeof prefixes}`);
  }
  const keyOf = options.keyOf ?? defaultKeyOf;
  const open = writers === 'anyone';

  return (update, peer, signed) => {
    const author = update[2];
    if (!open) {
      if (peer === null) return 'anonymous peers are read-only';
      if (!isWriter(peer)) return `peer "${peer}" may not write`;
      if (!signed && author !== peer) return `peer "${peer}" may not write as "${author}" (updates are not signed)`;
      if (signed && author !== peer && !isWriter(author)) return `author "${author}" may not write`;
    }
    if (prefixes !== undefined) {
      const allowed = typeof prefixes === 'function' ? prefixes(author) : prefixes;
      if (allowed !== null && allowed !== undefined) {
        const key = keyOf(update[0]);
        if (key === undefined) return 'the change has no key to check against the write prefixes';
        if (!allowed.some((prefix) => key.startsWith(prefix))) return `key "${key}" is outside the prefixes "${author}" may write`;
      }
    }
    return null;
  };
}
