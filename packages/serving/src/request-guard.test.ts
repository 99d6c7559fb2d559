import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  connect as connectH2,
  constants as h2constants,
  createServer as createH2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createLogThrottle } from "./log-throttle.js";
import { guardRequests } from "./request-guard.js";

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    error: (fields: Record<string, unknown>, msg: string) => lines.push({ level: "error", fields, msg }),
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: "warn", fields, msg }),
  };
  return { lines, logger: logger as never };
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  const { lines, logger } = recorder();
  const server = createServer(guardRequests(handler, { logger, server: "test" }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, lines, close: () => new Promise((r) => server.close(r)) };
}

describe("guardRequests", () => {
  it("answers a synchronous throw with 500, logs it once, and keeps serving", async () => {
    let calls = 0;
    const s = await serve((_req, res) => {
      if (calls++ === 0) throw new Error("boom");
      res.end("fine");
    });
    const first = await fetch(s.url);
    expect([first.status, await first.json()]).toEqual([500, { code: "internal", message: "internal error" }]);
    expect(await (await fetch(s.url)).text()).toBe("fine");
    expect(s.lines.map((l) => [l.level, l.fields.status])).toEqual([["error", 500]]);
    await s.close();
  });

  it("answers a malformed escape (URIError) with 400", async () => {
    const s = await serve((req, res) => res.end(decodeURIComponent(req.url ?? "")));
    const res = await fetch(`${s.url}/satellites/ztr/%ZZ`);
    expect(res.status).toBe(400);
    expect(s.lines[0].level).toBe("warn");
    await s.close();
  });

  it("answers a rejected promise, and cuts a reply already under way", async () => {
    const s = await serve(async (req, res) => {
      if (req.url === "/late") {
        res.writeHead(200, { "content-length": "100" });
        res.write("partial");
      }
      await Promise.resolve();
      throw new Error("later");
    });
    expect((await fetch(s.url)).status).toBe(500);
    const late = await fetch(`${s.url}/late`);
    await expect(late.text()).rejects.toThrow();
    await s.close();
  });

  it("answers over HTTP/2 too (no connection header there), and resets a stream whose reply was under way", async () => {
    const { lines, logger } = recorder();
    const server = createH2Server(
      guardRequests(
        (req: Http2ServerRequest, res: Http2ServerResponse) => {
          if (req.url === "/late") {
            res.writeHead(200);
            res.write("partial");
          }
          throw new Error("boom");
        },
        { logger, server: "test" },
      ),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const session = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on("error", () => {});
    const call = (path: string) =>
      new Promise<{ status?: number; body: string; rstCode?: number }>((resolve) => {
        const req = session.request({ ":path": path });
        const out: { status?: number; body: string } = { body: "" };
        req.on("response", (h) => (out.status = Number(h[":status"])));
        req.on("data", (c: Buffer) => (out.body += c.toString()));
        req.on("error", () => {});
        req.on("close", () => resolve({ ...out, rstCode: req.rstCode }));
      });
    const answer = await call("/");
    expect([answer.status, JSON.parse(answer.body)]).toEqual([500, { code: "internal", message: "internal error" }]);
    expect(await call("/late")).toMatchObject({ status: 200, rstCode: h2constants.NGHTTP2_INTERNAL_ERROR });
    expect(lines).toHaveLength(2);
    session.destroy();
    await new Promise((r) => server.close(r));
  });

  it("writes at most the budget of log lines a minute and reports what it held back", () => {
    let t = 0;
    const log = createLogThrottle(2, () => t);
    const written: number[] = [];
    for (let i = 0; i < 5; i++) log((suppressed) => written.push(suppressed));
    t = 60_000;
    log((suppressed) => written.push(suppressed));
    expect(written).toEqual([0, 0, 3]);
  });
});
