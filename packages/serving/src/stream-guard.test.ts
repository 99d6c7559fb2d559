import { connect, constants, createServer, type ClientHttp2Session, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { guardStreams, type StreamHandler } from "./stream-guard.js";

function recorder() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    error: (fields: Record<string, unknown>) => lines.push({ level: "error", fields }),
    warn: (fields: Record<string, unknown>) => lines.push({ level: "warn", fields }),
  };
  return { lines, logger: logger as never };
}

interface Answer {
  status?: number;
  body: string;
  rstCode?: number;
}

function request(session: ClientHttp2Session, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = session.request({ ":path": path });
    const answer: Answer = { body: "" };
    req.on("response", (headers) => (answer.status = Number(headers[":status"])));
    req.on("data", (chunk: Buffer) => (answer.body += chunk.toString()));
    req.on("error", () => undefined);
    req.on("close", () => resolve({ ...answer, rstCode: req.rstCode }));
  });
}

describe("guardStreams", () => {
  let server: Http2Server;
  let session: ClientHttp2Session;
  afterEach(async () => {
    session?.destroy();
    await new Promise((r) => server.close(r));
  });

  async function serve(handler: StreamHandler<[]>) {
    const { lines, logger } = recorder();
    server = createServer();
    server.on("stream", guardStreams(handler, { logger, server: "test" }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on("error", () => undefined);
    return lines;
  }

  it("answers a synchronous throw with :status 500 and a JSON body, logs it once, and keeps serving", async () => {
    const lines = await serve((stream, headers) => {
      if (headers[":path"] === "/boom") throw new Error("boom");
      stream.respond({ ":status": 200 });
      stream.end("fine");
    });
    const failed = await request(session, "/boom");
    expect([failed.status, JSON.parse(failed.body)]).toEqual([500, { code: "internal", message: "internal error" }]);
    expect(await request(session, "/ok")).toMatchObject({ status: 200, body: "fine" });
    expect(lines.map((l) => [l.level, l.fields.status, l.fields.url])).toEqual([["error", 500, "/boom"]]);
  });

  it("answers a malformed escape with 400", async () => {
    const lines = await serve((_stream, headers) => decodeURIComponent(headers[":path"] ?? ""));
    expect((await request(session, "/%ZZ")).status).toBe(400);
    expect(lines[0].level).toBe("warn");
  });

  it("resets a stream whose headers already went out when the handler rejects", async () => {
    await serve(async (stream) => {
      stream.respond({ ":status": 200 });
      stream.write("partial");
      await new Promise((r) => setTimeout(r, 20));
      throw new Error("later");
    });
    const answer = await request(session, "/late");
    expect(answer.status).toBe(200);
    expect(answer.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
  });
});
