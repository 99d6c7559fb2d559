// One h2c exchange through Node's HTTP/2 client, on a session of its own (a case that makes the
// server end its session cannot fail another case's request). Node's client refuses some
// headers itself (bad names, connection-specific ones): such a case is "unsendable", not a
// finding. Cases it cannot express (no :authority, odd pseudo-headers) go through h2-raw.
import { connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import type { FuzzCase } from "./cases.js";
import type { Target } from "./http1-exchange.js";

export type H2Outcome =
  | {
      kind: "response";
      status: number;
      headers: IncomingHttpHeaders;
      trailers: IncomingHttpHeaders;
      body: Buffer;
      rstCode: number;
    }
  /** The stream or session ended with no response headers. */
  | { kind: "reset"; rstCode?: number; goaway?: number }
  | { kind: "unsendable"; detail: string }
  | { kind: "hang"; gotHeaders: boolean };

export function h2Exchange(target: Target, c: FuzzCase, boundMs: number): Promise<H2Outcome> {
  return new Promise((resolve) => {
    const session = connect(`http://${target.host}:${target.port}`);
    let done = false;
    let goaway: number | undefined;
    let response: IncomingHttpHeaders | undefined;
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const finish = (outcome: H2Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "hang", gotHeaders: response !== undefined }), boundMs);
    session.on("error", () => undefined);
    session.on("goaway", (code: number) => (goaway = code));
    session.on("close", () => finish({ kind: "reset", goaway }));
    const headers: OutgoingHttpHeaders = { ":method": c.method, ":path": c.path };
    for (const [name, value] of c.headers) {
      const key = name.toLowerCase();
      const prior = headers[key];
      headers[key] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [String(prior)]), value];
    }
    // A declared length the body does not match (nghttp2 checks it).
    if (c.framing === "lying-length") headers["content-length"] = String(c.body.length + 10);
    let stream;
    try {
      stream = session.request(headers, { endStream: c.body.length === 0 });
    } catch (error) {
      return finish({ kind: "unsendable", detail: (error as Error).message });
    }
    stream.on("error", () => undefined);
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      const rstCode = stream.rstCode ?? 0;
      if (!response) return finish({ kind: "reset", rstCode, goaway });
      finish({
        kind: "response",
        status: Number(response[":status"]),
        headers: response,
        trailers,
        body: Buffer.concat(chunks),
        rstCode,
      });
    });
    if (c.body.length) stream.end(c.body);
  });
}
