// HTTP/2 streams that are not rpcs (health, the original's REST routes, the state registry) go
// through Node's compatibility API as before. Node builds those objects itself only when the
// server has a "request" listener, and then for EVERY stream; the listener takes streams first
// and builds them here, for the rest, as Node's own `onServerStream` does.
import { Http2ServerRequest, Http2ServerResponse, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";

export type CompatHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

export function serveCompat(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: string[],
  handler: CompatHandler,
): void {
  const req = new Http2ServerRequest(stream, headers, {}, rawHeaders);
  const res = new Http2ServerResponse(stream);
  if (headers[":method"] === "CONNECT") {
    res.statusCode = 405;
    res.end();
    return;
  }
  if (headers.expect !== undefined) {
    if (headers.expect !== "100-continue") {
      res.statusCode = 417;
      res.end();
      return;
    }
    res.writeContinue();
  }
  handler(req, res);
}
