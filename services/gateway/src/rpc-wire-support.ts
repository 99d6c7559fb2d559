// Rpc requests written byte by byte for tests that send what Connect's clients never would
// (undecodable messages, odd authorities), in each protocol the gateway serves, and the outcome
// (code and message) read back from each protocol's answer.
import { gunzipSync, gzipSync } from "node:zlib";
import { Code } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import type { RawResponse } from "./raw-http-support.js";

export type Outcome = "ok" | { code: string; message: string };

export interface Wire {
  name: string;
  /** Headers that say protocol and encoding. */
  headers: Record<string, string>;
  /** The body carrying one request message (bytes, or JSON text for Connect JSON). */
  body(message: Uint8Array | string): Buffer;
  /** Whether the message is protobuf binary (false: JSON). */
  binary: boolean;
}

const bytes = (message: Uint8Array | string) =>
  typeof message === "string" ? Buffer.from(message) : Buffer.from(message);

export function envelope(flags: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Every unary protocol and encoding the gateway serves; `gzip` ones go to Connect's handlers. */
export const WIRES: readonly Wire[] = [
  { name: "connect proto", binary: true, headers: { "content-type": "application/proto" }, body: bytes },
  {
    name: "connect proto gzip",
    binary: true,
    headers: { "content-type": "application/proto", "content-encoding": "gzip" },
    body: (m) => gzipSync(bytes(m)),
  },
  { name: "connect json", binary: false, headers: { "content-type": "application/json" }, body: bytes },
  {
    name: "connect json gzip",
    binary: false,
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: (m) => gzipSync(bytes(m)),
  },
  {
    name: "grpc",
    binary: true,
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: (m) => envelope(0, bytes(m)),
  },
  {
    name: "grpc gzip",
    binary: true,
    headers: { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" },
    body: (m) => envelope(1, gzipSync(bytes(m))),
  },
  {
    name: "grpc-web",
    binary: true,
    headers: { "content-type": "application/grpc-web+proto" },
    body: (m) => envelope(0, bytes(m)),
  },
  {
    name: "grpc-web gzip",
    binary: true,
    headers: { "content-type": "application/grpc-web+proto", "grpc-encoding": "gzip" },
    body: (m) => envelope(1, gzipSync(bytes(m))),
  },
];

const header = (h: RawResponse["headers"], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function grpcOutcome(status: string | undefined, message: string | undefined): Outcome {
  if (status === undefined) return { code: "no grpc-status", message: "" };
  if (status === "0") return "ok";
  return { code: Code[Number(status)] ?? status, message: decodeURIComponent(message ?? "") };
}

/** The trailer frame of a gRPC-Web body. */
function grpcWebTrailer(body: Buffer): Headers | undefined {
  for (let at = 0; at + 5 <= body.length;) {
    const length = body.readUInt32BE(at + 1);
    if (body[at] & 0x80) return trailerParse(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return undefined;
}

/** What a client of the answer's protocol would make of it. */
export function outcomeOf(res: RawResponse): Outcome {
  const type = header(res.headers, "content-type") ?? "";
  if (type.startsWith("application/grpc-web")) {
    if (header(res.headers, "grpc-status") !== undefined)
      return grpcOutcome(header(res.headers, "grpc-status"), header(res.headers, "grpc-message"));
    const trailer = grpcWebTrailer(res.body);
    return grpcOutcome(trailer?.get("grpc-status") ?? undefined, trailer?.get("grpc-message") ?? undefined);
  }
  if (type.startsWith("application/grpc")) {
    const source = header(res.trailers, "grpc-status") !== undefined ? res.trailers : res.headers;
    return grpcOutcome(header(source, "grpc-status"), header(source, "grpc-message"));
  }
  if (res.status === 200) return "ok";
  const body = header(res.headers, "content-encoding") === "gzip" ? gunzipSync(res.body) : res.body;
  try {
    const error = JSON.parse(body.toString()) as { code: string; message?: string };
    return { code: Code[codeFromString(error.code) ?? Code.Unknown], message: error.message ?? "" };
  } catch {
    return { code: `HTTP ${res.status}`, message: body.toString().slice(0, 200) };
  }
}
