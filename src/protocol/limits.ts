/**
 * @module limits
 * Every size, count or duration a peer can influence has a named limit here. Each default says
 * why it has its value and what memory it bounds in the worst case.
 */

/**
 * Longest line (one message) accepted from a peer, in UTF-8 bytes: 1 MiB.
 * The original has no limit at all (issue #27 shows a 1192-source header). 1 MiB fits a header
 * with ~25k sources or a value of ~1 MB; ws defaults `maxPayload` to 100 MiB, h11 to 16 KiB for
 * headers. Worst case: one partial line of this size is buffered per stream.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Most encoded output (UTF-16 code units of queued lines) a session holds for a slow reader
 * before it stops queueing live updates and falls back to a lazy catch-up from history:
 * 1 Mi units (≤ 2 MiB of memory per stream). Like protomux `MAX_BUFFERED` (32 KiB) but larger
 * because history replay is chunked anyway.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Most entries in a header's vector clock: 100 000. A clock entry costs ~100 bytes of heap, so a
 * header is bounded to ~10 MB of parsed state; the line limit usually bites first.
 */
export const DEFAULT_MAX_SOURCES_PER_DIGEST = 100_000;

/**
 * How far in the future (ms, on our wall clock) a remote timestamp may be: one minute. A peer
 * whose clock runs ahead would otherwise win every last-write-wins race (scuttlebutt #46), and a
 * forged huge timestamp would block its source forever.
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Size of one chunk handed to a transport, in UTF-16 code units: 64 Ki. Large enough that
 * per-chunk overhead (a syscall, a WebSocket frame) is amortised, small enough that a chunk
 * never blocks the event loop for long.
 */
export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;

/**
 * Most elements an update may carry after `[change, ts, source]`: 16. The original forwards
 * extra elements unchanged and a signature takes one; a peer sending hundreds of thousands of
 * them must not reach code that spreads them into a call (a stack overflow).
 */
export const MAX_UPDATE_EXTRAS = 16;

/** Messages a raw (object mode) session queues before falling back to catch-up: 4096. */
export const DEFAULT_MAX_BUFFERED_MESSAGES = 4096;

/** The limits a session enforces. Pass `Infinity` to disable one explicitly. */
export interface SessionLimits {
  /** Longest accepted line in bytes. Worst-case memory: this many bytes per stream. */
  readonly maxMessageBytes: number;
  /** Most queued outbound output before live updates fall back to catch-up from history. */
  readonly maxBufferedBytes: number;
  /** Most entries in a peer's header clock. */
  readonly maxSourcesPerDigest: number;
  /** Largest chunk `pollTransmit()` returns (a single longer line is returned whole). */
  readonly maxChunkBytes: number;
}

/** The defaults above as one frozen object. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  maxSourcesPerDigest: DEFAULT_MAX_SOURCES_PER_DIGEST,
  maxChunkBytes: DEFAULT_MAX_CHUNK_BYTES,
});
