// Small HTTP helpers shared by the handlers: common headers, JSON bodies, reading a bounded
// body, streaming a body into a blob writer, and parsing the numeric headers and parameters
// the spec defines.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { OciError } from "@harbor-satellite/oci";
import type { BlobWriter } from "../store/content-store.js";

/** Sent on every response, as distribution does; clients probe for it. */
export const API_VERSION_HEADER = { "Docker-Distribution-Api-Version": "registry/2.0" } as const;

/** 413 for a manifest over the size limit; the spec has no code of its own for it. */
export class PayloadTooLargeError extends OciError {
  override readonly status = 413;

  constructor(limit: number) {
    super("SIZE_INVALID", `manifest larger than ${limit} bytes`, { limit });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...API_VERSION_HEADER,
    "Content-Type": "application/json",
    "Content-Length": bytes.length,
    ...headers,
  });
  res.end(bytes);
}

/** An empty response with the given headers. */
export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...API_VERSION_HEADER, "Content-Length": 0, ...headers });
  res.end();
}

/** The declared Content-Length, undefined when absent (chunked), SIZE_INVALID when malformed. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers["content-length"];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new OciError("SIZE_INVALID", "bad Content-Length", { contentLength: raw });
  return Number(raw);
}

/** True when the request carries a body (a non-zero Content-Length, or chunked encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = contentLength(req);
  return length === undefined ? req.headers["transfer-encoding"] !== undefined : length > 0;
}

/** Past this much, a refused body is not read to the end: the connection is closed instead. */
const DRAIN_LIMIT = 64 << 20;

/**
 * Reads a whole body of at most `limit` bytes. A larger one is read to its end and dropped
 * (up to DRAIN_LIMIT) before the 413, so the client, still sending, gets the answer rather than
 * a reset connection.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (declared === undefined || declared <= limit) {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > limit) break;
        chunks.push(chunk as Buffer);
      }
    }
    if (size > limit || (declared !== undefined && declared > limit)) {
      if ((declared ?? size) <= DRAIN_LIMIT)
        for await (const chunk of req) if ((size += (chunk as Buffer).length) > DRAIN_LIMIT) break;
      throw new PayloadTooLargeError(limit);
    }
  } catch (error) {
    throw clientGone(req, error, "SIZE_INVALID", size);
  }
  if (!req.complete)
    throw new OciError("SIZE_INVALID", "request body ended early", { received: size, contentLength: declared });
  return Buffer.concat(chunks, size);
}

/** Streams the request body into a blob writer; throws if the body is cut short. */
export async function pipeBody(req: IncomingMessage, writer: BlobWriter): Promise<number> {
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      await writer.write(chunk as Buffer);
    }
  } catch (error) {
    throw clientGone(req, error, "BLOB_UPLOAD_INVALID", size);
  }
  if (!req.complete) throw new OciError("BLOB_UPLOAD_INVALID", "request body ended early", { received: size });
  return size;
}

/**
 * A body read that failed because the client went away (reset, half-close mid-body) is the
 * client's doing: the spec's error for a cut body, not a 500. Anything else is passed on.
 */
function clientGone(
  req: IncomingMessage,
  error: unknown,
  code: "SIZE_INVALID" | "BLOB_UPLOAD_INVALID",
  received: number,
): unknown {
  if (error instanceof OciError) return error;
  // Node destroys a request whose connection closed with ECONNRESET "aborted", even when its
  // last byte had arrived (req.complete) but had not been read yet.
  if (req.complete && (error as NodeJS.ErrnoException | undefined)?.code !== "ECONNRESET") return error;
  return new OciError(code, "the client closed the connection before the body ended", { received });
}

/** `Content-Range: <start>-<end>` of an upload chunk (inclusive), as the spec's regexp allows. */
export function parseUploadRange(value: string | undefined): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  // Some clients send the HTTP form `bytes <start>-<end>/*`; take it too.
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!match) throw new OciError("RANGE_INVALID", "bad Content-Range", { contentRange: value });
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new OciError("RANGE_INVALID", "Content-Range ends before it starts", { contentRange: value });
  return { start, end };
}

/** `Range: 0-<last byte>` of an upload session; `0-0` when empty, as distribution answers. */
export function uploadRangeHeader(written: number): string {
  return `0-${Math.max(written - 1, 0)}`;
}

/** The `n` paging parameter: a non-negative integer, or absent. */
export function parsePageSize(query: URLSearchParams): number | undefined {
  const raw = query.get("n");
  if (raw === null || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new OciError("PAGINATION_NUMBER_INVALID", undefined, { n: raw });
  return Number(raw);
}

/** RFC 5988 `Link` to the next page. */
export function nextLink(path: string, n: number | undefined, last: string): string {
  const query = new URLSearchParams();
  if (n !== undefined) query.set("n", String(n));
  query.set("last", last);
  return `<${path}?${query.toString()}>; rel="next"`;
}
