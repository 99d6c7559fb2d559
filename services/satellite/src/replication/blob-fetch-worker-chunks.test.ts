// A capped copy on the wire (range-plan.mjs): bounded Range requests sized from the cap, over one
// kept-alive connection per origin, through a registry's redirect to blob storage, and the
// upstreams that do not play along (200 to a Range, 416, connections closed between chunks).
// Real local HTTP servers; the worker's copy function called in-process.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { selfSignedLoopback, type SelfSigned } from "@harbor-satellite/oci/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGateBuffer, gateView } from "./bandwidth-gate.mjs";
import fetchBlob from "./blob-fetch-worker.mjs";
import { chunkBytes } from "./range-plan.mjs";
import type { FetchBlobOutcome, FetchBlobTask } from "./worker-protocol.js";

const RATE = 4_000_000;
const data = randomBytes(1_500_000);
const digest = digestOf(data);

interface Served {
  url: string;
  connections: number;
  requests: { range?: string; authorization?: string }[];
  server: Server;
}

/** An HTTP server for the blob; `answer` may take over a request (redirects, faults). */
async function serve(
  answer?: (req: IncomingMessage, res: ServerResponse) => boolean,
  tls?: SelfSigned,
): Promise<Served> {
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }) : createServer();
  const served: Served = { url: "", connections: 0, requests: [], server };
  served.server.on(tls ? "secureConnection" : "connection", () => served.connections++);
  served.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    served.requests.push({ range: req.headers.range, authorization: req.headers.authorization });
    if (answer?.(req, res)) return;
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (!match) return void res.writeHead(200, { "content-length": data.length }).end(data);
    const start = Number(match[1]);
    if (start >= data.length)
      return void res.writeHead(416, { "content-range": `bytes */${data.length}`, "content-length": 0 }).end();
    const end = Math.min(match[2] ? Number(match[2]) : data.length - 1, data.length - 1);
    res.writeHead(206, { "content-range": `bytes ${start}-${end}/${data.length}`, "content-length": end - start + 1 });
    res.end(data.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => served.server.listen(0, "127.0.0.1", resolve));
  served.url = `${tls ? "https" : "http"}://127.0.0.1:${(served.server.address() as AddressInfo).port}`;
  return served;
}

let servers: Served[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "worker-chunks-test-"));
});
afterEach(async () => {
  for (const s of servers) {
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  }
  servers = [];
  await rm(dir, { recursive: true, force: true });
});
const start = async (answer?: (req: IncomingMessage, res: ServerResponse) => boolean, tls?: SelfSigned) => {
  const served = await serve(answer, tls);
  servers.push(served);
  return served;
};

const cappedGate = () => {
  const gate = createGateBuffer();
  gateView(gate).setRate(RATE);
  return gate;
};
const task = (url: string, overrides: Partial<FetchBlobTask> = {}): FetchBlobTask => ({
  url: `${url}/v2/lib/app/blobs/${digest}`,
  digest,
  size: data.length,
  path: join(dir, "out"),
  counters: new SharedArrayBuffer(16),
  attempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  gate: cappedGate(),
  ...overrides,
});
const run = async (t: FetchBlobTask) => (await fetchBlob(t)) as FetchBlobOutcome;
/** The bounded chunks a capped copy of the whole blob asks for. */
const expectedRanges = () => {
  const chunk = chunkBytes(RATE);
  const ranges: string[] = [];
  for (let at = 0; at < data.length; at += chunk) ranges.push(`bytes=${at}-${Math.min(at + chunk, data.length) - 1}`);
  return ranges;
};

describe("blob-fetch worker under a cap, on the wire", () => {
  it("asks for bounded Range requests sized from the cap, over one kept-alive connection", async () => {
    const upstream = await start();
    const t = task(upstream.url);
    expect(await run(t)).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    const ranges = expectedRanges();
    expect(ranges.length).toBeGreaterThan(3);
    expect(upstream.requests.map((r) => r.range)).toEqual(ranges);
    expect(upstream.connections).toBe(1);
    expect([...new BigInt64Array(t.counters)]).toEqual([BigInt(data.length), BigInt(ranges.length)]);
    // What the satellite read went through the gate's count (what the bench reports).
    expect(gateView(t.gate!).taken()).toBe(data.length);
  });

  it("keeps one TLS connection for all its chunks over HTTPS (one handshake)", async () => {
    const tls = await selfSignedLoopback();
    const upstream = await start(undefined, tls);
    const t = task(upstream.url, { ca: tls.cert });
    expect(await run(t)).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    expect(upstream.requests.map((r) => r.range)).toEqual(expectedRanges());
    expect(upstream.connections).toBe(1);
  });

  it("asks for the whole blob in one GET without a cap, as before", async () => {
    const upstream = await start();
    const gate = createGateBuffer();
    expect(await run(task(upstream.url, { gate }))).toMatchObject({ ok: true });
    expect(upstream.requests).toEqual([{ range: undefined, authorization: undefined }]);
  });

  it("follows the registry's redirect to blob storage for every chunk, one kept connection per origin", async () => {
    const storage = await start();
    const registry = await start((req, res) => {
      res.writeHead(307, { location: `${storage.url}/blobs/signed?X-Amz-Signature=s`, "content-length": 0 }).end();
      return true;
    });
    const t = task(registry.url, { authorization: "Bearer secret" });
    expect(await run(t)).toMatchObject({ ok: true, result: { size: data.length } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    const ranges = expectedRanges();
    expect(registry.requests).toEqual(ranges.map((range) => ({ range, authorization: "Bearer secret" })));
    expect(storage.requests).toEqual(ranges.map((range) => ({ range, authorization: undefined })));
    expect([registry.connections, storage.connections]).toEqual([1, 1]);
  });

  it("reads the whole body, paced, from an upstream that answers 200 to a Range", async () => {
    const upstream = await start((req, res) => {
      res.writeHead(200, { "content-length": data.length }).end(data);
      return true;
    });
    const rate = 500_000;
    const gate = createGateBuffer();
    gateView(gate).setRate(rate);
    const started = performance.now();
    expect(await run(task(upstream.url, { gate }))).toMatchObject({ ok: true, result: { size: data.length } });
    const seconds = (performance.now() - started) / 1000;
    expect(upstream.requests.map((r) => r.range)).toEqual([`bytes=0-${chunkBytes(rate) - 1}`]);
    // Paced per read past the one reserved chunk: no faster than the cap, less two bursts of
    // 512 KiB (one banked, one ahead) and the last read (256 KiB).
    const unpaced = chunkBytes(rate) + 2 * 512 * 1024 + 256 * 1024;
    expect(seconds).toBeGreaterThanOrEqual(((data.length - unpaced) / rate) * 0.9);
  });

  it("reports a blob shorter than announced when the upstream answers 416", async () => {
    const upstream = await start();
    const size = data.length + 100_000;
    const outcome = await run(task(upstream.url, { size }));
    expect(outcome).toMatchObject({ ok: false, error: { kind: "size", expected: size, actual: data.length } });
    expect(upstream.requests.at(-1)?.range).toBe(`bytes=${data.length}-${size - 1}`);
  });

  it("goes on over new connections when the upstream closes them between chunks", async () => {
    let served = 0;
    const upstream = await start((req, res) => {
      // Every other answer closes its connection without saying so (as an idle timeout would).
      if (served++ % 2 === 0) res.on("finish", () => setImmediate(() => req.socket.destroy()));
      return false;
    });
    const t = task(upstream.url);
    expect(await run(t)).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    expect(upstream.requests.map((r) => r.range)).toEqual(expectedRanges());
    expect(upstream.connections).toBeGreaterThan(1);
  });
});
