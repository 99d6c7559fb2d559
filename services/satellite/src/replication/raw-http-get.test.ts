import { randomBytes } from "node:crypto";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { READ_BUFFER_BYTES, rawGet, type ResponseHead } from "./raw-http-get.mjs";

let server: net.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A TCP server that answers every connection with `reply(request)`, written in `pieces`. */
async function serve(reply: (request: string) => Buffer[]): Promise<URL> {
  server = net.createServer((socket) => {
    let request = "";
    socket.on("data", async (d) => {
      request += d.toString();
      if (!request.includes("\r\n\r\n")) return;
      for (const piece of reply(request)) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 1));
      }
      socket.end();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return new URL(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/v2/x/blobs/y?sig=1`);
}

async function get(url: URL, headers: Record<string, string> = {}) {
  const chunks: Buffer[] = [];
  let head: ResponseHead | undefined;
  const answer = await rawGet(url, headers, {
    idleTimeoutMs: 5000,
    onHead: (h) => ((head = h), h.status < 300),
    onBody: (c) => chunks.push(Buffer.from(c)),
  });
  return { head: head!, body: Buffer.concat(chunks), errorBody: answer.body };
}

describe("rawGet", () => {
  it("sends the request line, Host, and the given headers, and reads a Content-Length body", async () => {
    const data = randomBytes(3 * READ_BUFFER_BYTES + 17);
    let seen = "";
    const url = await serve((request) => {
      seen = request;
      return [
        Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\nX-A: 1\r\nX-A: 2\r\n\r\n`),
        data.subarray(0, 1000),
        data.subarray(1000),
      ];
    });
    const { head, body } = await get(url, { Range: "bytes=5-" });
    expect(seen).toMatch(/^GET \/v2\/x\/blobs\/y\?sig=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    expect(seen).toContain("Range: bytes=5-\r\n");
    expect(head).toEqual({
      status: 200,
      headers: { "content-length": String(data.length), "x-a": "1, 2" },
      version: "1.1",
    });
    expect(body.equals(data)).toBe(true);
  });

  it("decodes a chunked body split at every awkward place", async () => {
    const data = randomBytes(5000);
    const framed = Buffer.concat([
      Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
      Buffer.from("7d0;ext=1\r\n"),
      data.subarray(0, 2000),
      Buffer.from("\r\n"),
      Buffer.from(`${(3000).toString(16)}\r\n`),
      data.subarray(2000),
      Buffer.from("\r\n0\r\nTrailer: x\r\n\r\n"),
    ]);
    const url = await serve(() =>
      Array.from({ length: Math.ceil(framed.length / 7) }, (_, i) => framed.subarray(i * 7, i * 7 + 7)),
    );
    expect((await get(url)).body.equals(data)).toBe(true);
  });

  it("reads a body delimited by the connection's close, and collects an error body instead of streaming it", async () => {
    const url = await serve(() => [Buffer.from("HTTP/1.0 200 OK\r\n\r\nuntil close")]);
    expect((await get(url)).body.toString()).toBe("until close");
    server!.close();
    const url404 = await serve(() => [
      Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n{"errors":[{"code":"X"}]}    '),
    ]);
    const answer = await get(url404);
    expect(answer.head.status).toBe(404);
    expect(answer.body.length).toBe(0);
    expect(answer.errorBody.toString()).toContain('"code":"X"');
  });

  it("fails with a retryable code when the body stops short, and with parser codes on garbage", async () => {
    const cut = await serve(() => [Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")]);
    await expect(get(cut)).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
    server!.close();
    const garbage = await serve(() => [Buffer.from("SMTP ready\r\n\r\n")]);
    await expect(get(garbage)).rejects.toMatchObject({ code: "HPE_INVALID_CONSTANT" });
    server!.close();
    const badChunk = await serve(() => [Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]);
    await expect(get(badChunk)).rejects.toMatchObject({ code: "HPE_INVALID_CHUNK_SIZE" });
  });

  it("aborts with the error a body handler throws, and reports a refused connection", async () => {
    const url = await serve(() => [Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")]);
    const boom = new Error("disk full");
    await expect(
      rawGet(
        url,
        {},
        {
          idleTimeoutMs: 5000,
          onHead: () => true,
          onBody: () => {
            throw boom;
          },
        },
      ),
    ).rejects.toBe(boom);
    const port = (server!.address() as AddressInfo).port;
    server!.close();
    server = undefined;
    await expect(get(new URL(`http://127.0.0.1:${port}/`))).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("stops on its signal with the signal's reason, closing the connection mid-body", async () => {
    // Sends the head and half the body, then holds the connection open.
    let closed!: Promise<void>;
    server = net.createServer((socket) => {
      closed = new Promise((resolve) => socket.on("close", () => resolve()));
      socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(1000)));
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = new URL(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/b`);
    const pass = new AbortController();
    const reason = new Error("pass cancelled");
    let received = 0;
    const answer = rawGet(
      url,
      {},
      {
        idleTimeoutMs: 5000,
        signal: pass.signal,
        onHead: () => true,
        onBody: (chunk) => {
          received += chunk.length;
          if (received === 1000) pass.abort(reason);
        },
      },
    );
    await expect(answer).rejects.toBe(reason);
    await closed;
    // An aborted signal sends nothing at all.
    let requests = 0;
    server.on("connection", (socket) => socket.on("data", () => requests++));
    await expect(
      rawGet(url, {}, { idleTimeoutMs: 5000, signal: pass.signal, onHead: () => true, onBody: () => {} }),
    ).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toBe(0);
  });
});
