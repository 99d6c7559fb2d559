// The `Range` request header of a blob GET (RFC 9110 §14): one `bytes=` range, in any of its
// three forms. Several ranges are answered with the whole blob, which RFC 9110 allows a server
// to do; a malformed header is ignored the same way.
import type { ByteRange } from "../store/content-store.js";

export type RangeRequest = { kind: "full" } | { kind: "partial"; range: ByteRange } | { kind: "unsatisfiable" };

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "full" };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return { kind: "full" };
  if (match[1] === "") {
    // Suffix form: the last N bytes.
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", range: { start: Math.max(size - suffix, 0), end: size - 1 } };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", range: { start, end } };
}
