// What an outcome says about the server. "internal": the server hit a bug and answered for it
// (HTTP 500, gRPC status INTERNAL or UNKNOWN, a Connect end-stream error "internal"/"unknown", a
// stream reset with INTERNAL_ERROR, a reply cut after it started): the guard's net caught it,
// and the fuzzer's job is to find those. "broken": no valid answer at all (a hang, an invalid
// response, a 5xx nobody should send). Anything else, refusals included, is fine.
import { constants } from "node:http2";
import type { FuzzCase } from "./cases.js";
import type { H2Outcome } from "./h2-exchange.js";
import type { Http1Outcome } from "./http1-exchange.js";

export type Verdict = { ok: true } | { ok: false; class: "internal" | "broken"; detail: string };

const OK: Verdict = { ok: true };
const internal = (detail: string): Verdict => ({ ok: false, class: "internal", detail });
const broken = (detail: string): Verdict => ({ ok: false, class: "broken", detail });

/**
 * 5xx a correct server may send, with the Connect code the body must name (if any): 503 from
 * health and the state registry's UNAVAILABLE, Connect's unimplemented and deadline_exceeded,
 * and 505 for a bidi-streaming rpc (reflection) asked over HTTP/1.1.
 */
const ALLOWED_5XX: Record<number, string | undefined> = {
  501: "unimplemented",
  503: undefined,
  504: "deadline_exceeded",
  505: undefined,
};
const INTERNAL_GRPC = new Set(["13", "2"]);
const INTERNAL_CONNECT = new Set(["internal", "unknown"]);

export function judge(_c: FuzzCase, outcome: Http1Outcome | H2Outcome): Verdict {
  switch (outcome.kind) {
    case "closed":
    case "unsendable":
      return OK;
    case "hang":
      return broken(
        `no answer within the bound (${"received" in outcome ? `${outcome.received} bytes received` : `headers ${outcome.gotHeaders ? "received" : "not received"}`})`,
      );
    case "invalid":
      return broken(`invalid HTTP/1.1 response: ${outcome.detail}`);
    case "truncated":
      return internal(`HTTP ${outcome.status} reply cut after it started: ${outcome.detail}`);
    case "reset":
      if (outcome.rstCode === constants.NGHTTP2_INTERNAL_ERROR)
        return internal("stream reset with INTERNAL_ERROR before any response");
      if (outcome.goaway === constants.NGHTTP2_INTERNAL_ERROR)
        return internal("session ended with GOAWAY INTERNAL_ERROR");
      return OK;
    case "response":
      return judgeResponse(
        outcome.status,
        headerMap(outcome.headers),
        "trailers" in outcome ? headerMap(outcome.trailers) : {},
        outcome.body,
        "rstCode" in outcome ? outcome.rstCode : 0,
      );
  }
}

function headerMap(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : String(v);
  return out;
}

function judgeResponse(
  status: number,
  headers: Record<string, string>,
  trailers: Record<string, string>,
  body: Buffer,
  rstCode: number,
): Verdict {
  const snippet = body.subarray(0, 200).toString("latin1");
  if (status === 500) return internal(`HTTP 500: ${snippet}`);
  if (status >= 500 && status < 600) {
    if (!(status in ALLOWED_5XX)) return broken(`HTTP ${status}: ${snippet}`);
    const code = ALLOWED_5XX[status];
    if (code && !snippet.includes(`"${code}"`))
      return broken(`HTTP ${status} without Connect code ${code}: ${snippet}`);
  }
  const grpcStatus = trailers["grpc-status"] ?? headers["grpc-status"];
  if (grpcStatus && INTERNAL_GRPC.has(grpcStatus))
    return internal(`grpc-status ${grpcStatus}: ${trailers["grpc-message"] ?? headers["grpc-message"] ?? ""}`);
  if (rstCode === constants.NGHTTP2_INTERNAL_ERROR) return internal(`HTTP ${status} reply reset with INTERNAL_ERROR`);
  const type = headers["content-type"] ?? "";
  if (type.startsWith("application/grpc-web")) {
    const frames = envelopes(type.includes("-text") ? Buffer.from(body.toString("latin1"), "base64") : body);
    const trailer = frames.find((f) => f.flags & 0x80)?.data.toString("latin1") ?? "";
    const s = /grpc-status:\s*(\d+)/i.exec(trailer)?.[1];
    if (s && INTERNAL_GRPC.has(s)) return internal(`gRPC-Web trailer grpc-status ${s}: ${trailer.slice(0, 200)}`);
  }
  if (type.startsWith("application/connect+")) {
    const end = envelopes(body).find((f) => f.flags & 0x02);
    const code = end ? /"code"\s*:\s*"([a-z_]+)"/.exec(end.data.toString("utf8"))?.[1] : undefined;
    if (code && INTERNAL_CONNECT.has(code))
      return internal(`Connect end-stream error ${code}: ${end?.data.subarray(0, 200).toString()}`);
  }
  return OK;
}

function envelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length;) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at], data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}
