// @ts-check
// What a layer copy asks the upstream for next. Uncapped: the rest of the blob in one GET (a Range
// only when resuming). Under the satellite's bandwidth cap: a bounded Range of about 100 ms of
// the cap, which the copy reserves on the cap's bucket (bandwidth-gate.mjs) before sending, so no
// byte is on the wire before the cap granted it and the kernel's receive buffer never holds more
// than the one chunk in flight (reads alone cannot pace the wire: the kernel takes bytes ahead of
// them, up to tens of MiB per socket). Small chunks keep each 5-s interval within a few per cent
// of the cap (a chunk arrives at once at the start of its slot); their cost is one request per
// chunk on a kept-alive connection. Plain JavaScript: the worker loads it without a loader.

/** A capped chunk spans this much of the cap... */
const CHUNK_SECONDS = 0.1;
/** ...but at least this (below, a request's overhead starts to matter)... */
export const MIN_CHUNK_BYTES = 64 * 1024;
/** ...and at most this (the kernel never holds more of one copy ahead of its reads). */
export const MAX_CHUNK_BYTES = 4 << 20;
/** Fewer bytes than this left before the window closes are not worth a request. */
export const MIN_PIECE_BYTES = 64 * 1024;

/** @param {number} rate bytes per second (> 0) */
export function chunkBytes(rate) {
  return Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.round(rate * CHUNK_SECONDS)));
}

/**
 * @typedef {{
 *   offset: number,
 *   size: number,
 *   paidUntil: number,
 *   rate: number,
 *   bytesBeforeClose: number,
 * }} PieceInput
 *   offset: the next byte wanted; paidUntil: bytes below it are already reserved on the bucket (a
 *   chunk cut short and resumed is not paid twice); rate: the cap (0 = none); bytesBeforeClose:
 *   what the cap lets through before the open window closes (Infinity when unknown or uncapped).
 * @typedef {{ end: number | undefined, reserve: number }} Piece
 *   end: the last byte to ask for (inclusive), undefined for the rest of the blob; reserve: bytes
 *   to reserve on the bucket before asking.
 */

/**
 * The next request of a copy, or "wait" when too little of the window is left to be worth one.
 * @param {PieceInput} input
 * @returns {Piece | "wait"}
 */
export function planPiece({ offset, size, paidUntil, rate, bytesBeforeClose }) {
  if (rate <= 0) return { end: undefined, reserve: 0 };
  // What an earlier, cut request reserved is asked for first, without reserving it again.
  if (paidUntil > offset) return { end: Math.min(paidUntil, size) - 1, reserve: 0 };
  let length = Math.min(chunkBytes(rate), size - offset);
  if (bytesBeforeClose < length) {
    if (bytesBeforeClose < MIN_PIECE_BYTES) return "wait";
    length = Math.floor(bytesBeforeClose);
  }
  return { end: offset + length - 1, reserve: length };
}
